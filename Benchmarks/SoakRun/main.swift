print("SoakRun: not written yet")
