"""Digital competence as data: frameworks, instruments, scoring, charts, recommendations.

Plain Python with no web framework and no database: `storage` persists these
objects, `lti_tool` shows them.  A framework (DigComp 2.2, or an organisation's
own per-system model) and the instruments over it are documents, loaded and
validated here, never code.
"""
