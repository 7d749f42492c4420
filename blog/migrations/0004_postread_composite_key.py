"""
Read rows keyed by (post, day, visitor) alone: the old id, its sequence and
the day and post indexes each cost a page write per counted read. Django
cannot change a primary key in place, so the rows move to a new table.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("blog", "0003_reads_visitors_sources")]

    operations = [
        migrations.RemoveConstraint(model_name="postread", name="blog_postread_post_day_visitor_unique"),
        migrations.RenameModel("PostRead", "PostReadBefore"),
        migrations.CreateModel(
            name="PostRead",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "post", "day", "visitor", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "post",
                    models.ForeignKey(
                        db_index=False, on_delete=models.deletion.CASCADE, related_name="+", to="blog.post"
                    ),
                ),
                ("day", models.DateField()),
                ("visitor", models.CharField(max_length=64)),
            ],
            options={"ordering": ["-day"]},
        ),
        migrations.RunSQL(
            "INSERT INTO blog_postread (post_id, day, visitor) SELECT post_id, day, visitor FROM blog_postreadbefore",
            migrations.RunSQL.noop,
        ),
        migrations.DeleteModel("PostReadBefore"),
    ]
