"""What every chat front end (Slack, the console, later Teams) shares, so a platform folder only translates.

- protocol.py: the `ChatPlatform` protocol a front end implements (identify the asker, post, update, say,
  read attached files, DM a hirebot user), the `Turn` it hands over, and the typed outbound DM events.
- conversation.py: `TurnDesk`, the one answering loop: queue a turn, ask the core, decide where the answer
  may go, deliver it through the platform.
- runner.py and questions.py: the core on a thread or in processes, and the bounded question queue;
  core_processes.py: those processes, each on a pipe the event loop reads and writes itself.
- privacy.py: who may see candidate details where.
- identity.py: a platform user mapped to a hirebot user by email.
- notifier.py: the scheduler's ChatNotifier and BriefingSender, bridged from its threads to the front end.
- people.py: meeting attendees found on the platform by email (and kept on their user), so people who never
  wrote to hirebot get briefings; the organizer hears once about anyone the platform doesn't know.
- schedule_draft.py, schedule_form.py: the meeting draft a proposal carries, and the "Edit details" form
  with its validation (named fields; a platform maps them to its own widgets).
- zones.py: the time zone an organizer's days are read in.
- connect.py: connecting an ATS from chat (credentials checked, first sync reported).

`hirebot run` (bot/server.py) mounts every configured `FrontEnd` (protocol.py) from its registry.

This package imports neither Slack nor Teams; the core (bot/core.py) imports only schedule_draft from it.
"""
