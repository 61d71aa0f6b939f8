// KubeSim module; see README.
