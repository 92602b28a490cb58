"""graph_api: the intelligence-sharing graph service of an anti-counterfeiting alliance."""
