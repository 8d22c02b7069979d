"""Calls out to other systems: the one HTTP client setup, and how a send tells the outbox
worker that it failed.

Below every package that talks to a platform, an LRS, Moodle or HR (lti, xapi, sync, the
web app), and importing none of them: a sender in any layer raises the same DeliveryFailed.
"""
