"""
Other blogs' exports, read as posts. Formats are told by their content,
never by a file's name (formats.py); one module per format reads it as a
stream of entries (items.py): an Item (a post to import), Skipped (an item
that cannot be, and why) or LeftOut (not a post: a page, an attachment).
html.py turns a post's HTML into Markdown where nothing is lost. Nothing
but services.py writes.
"""
