"""The wallet sandbox: a WeChat Pay v2 gateway for tests (DESIGN.md section 6).

`codes` reads payment codes (which digits pick the payer and its behaviour),
`config` holds the merchant's settings, `orders` and `state` are the pure order
state machine, `faults` queues injected failures, `notify` posts payment notifies to
the till, `app` is the HTTP gateway and `server` runs it (`serve` in the foreground,
`running` in a test's thread).
"""
