from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_sync(sender: AppConfig, using: str = "default", **kwargs) -> None:
    from users.roles import roles_sync

    roles_sync(using=using)


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        # Models are loaded only now; the kinds name them.
        from site.registry import kind_register
        from users.deliveries import KINDS

        for kind in KINDS:
            kind_register(kind)
        # Each role's group gets exactly its permissions after every migrate,
        # as Django makes the permissions themselves then.
        post_migrate.connect(_roles_sync, sender=self, dispatch_uid="users.roles_sync")
