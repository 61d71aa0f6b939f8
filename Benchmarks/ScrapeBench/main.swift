print("ScrapeBench: not written yet")
