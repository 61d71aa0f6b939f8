// CrowsnestGateway module; see README.
