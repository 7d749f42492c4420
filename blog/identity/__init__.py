"""The site's identity as the blog shows it: its logo and icon kept as pictures, its footer rendered."""
