"""ZVT, the German ECR <-> card terminal protocol: codec (apdu), framing, links, driver.

The driver is `hardware.zvt.terminal.ZvtTerminal`, also reachable as
`hardware.payment.ZvtTerminal`; the simulator is hardware/sim/zvt.py.
"""
