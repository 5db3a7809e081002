print("fastiofs: not yet implemented")
