"""
Starting the real stack on loopback (gunicorn, run_huey, an SMTP server) for
the integration tests and the benchmarks. Both import it; it imports neither.
"""
