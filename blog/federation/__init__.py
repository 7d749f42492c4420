"""
Following authors from the fediverse (ActivityPub): actors, WebFinger,
NodeInfo, the outbox, the inboxes, and activities delivered through the
owed-delivery outbox. Off unless FEDERATION_ENABLED; every address answers
404 then.
"""
