"""The application's frame: start-up, the controller that unlocks, locks and wires the features,
tray, idle and session watch, single instance.
"""
