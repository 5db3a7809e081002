print("fastio-emulator: not yet implemented")
