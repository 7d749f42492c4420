"""
Pictures: an upload is cleaned by Pillow (cleaning.py) in the web process,
before any transaction, and kept under a name made from its content;
services.py records it and owes its variants, which the consumer makes
(variants.py); pruning.py removes what no post shows any more. Posts show
them through blog/pictures.py; views.py takes uploads and serves the files
on one box.
"""
