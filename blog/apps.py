from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self) -> None:
        # Models are loaded only now; the kinds name them.
        from blog.deliveries import KINDS
        from site.registry import kind_register

        for kind in KINDS:
            kind_register(kind)
        # A post page served from the page cache counts its read through this.
        import blog.readers  # noqa: F401
