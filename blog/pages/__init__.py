"""The site's pages (About, Contact, Now): Markdown at top-level addresses, written and published by Editors."""
