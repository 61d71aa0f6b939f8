// CrowsnestKube module; see README.
