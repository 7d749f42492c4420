"""
Following authors from the fediverse (ActivityPub): actors, WebFinger,
NodeInfo and the outbox. Off unless FEDERATION_ENABLED; every address
answers 404 then.
"""
