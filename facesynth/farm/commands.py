def register(app):  # placeholder replaced below
    pass
