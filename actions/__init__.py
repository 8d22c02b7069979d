"""What a person does with the tool, one Flask-free function per action.

Every entry point calls these alike: a page reads the request, calls the action and
renders its result; the command line parses its options, calls and prints; a scheduler
job calls on the person's behalf.  Each action owns its transaction (it commits or rolls
back before it returns), so the web, the CLI and the scheduler cannot drift apart.
Rules that need no database live below in `competence`; rows and queries in `storage`.
An action that only touches storage may live in `storage` itself (`storage.staff_import`);
this package holds those that also reach xAPI or LTI services.
"""
