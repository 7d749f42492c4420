from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        # Models are loaded only now; the kinds name them.
        from site.registry import kind_register
        from users.deliveries import KINDS

        for kind in KINDS:
            kind_register(kind)
