"""A views-per-day bar chart as plain SVG geometry, drawn by the template."""

from datetime import date, timedelta

WIDTH, HEIGHT, GAP = 600, 120, 2


def daily_bars(totals: dict[date, int], *, end: date, days: int = 30) -> dict:
    """Bars for the `days` days up to `end`: x, y, width, height, day, views."""
    first = end - timedelta(days=days - 1)
    series = [(first + timedelta(days=n), totals.get(first + timedelta(days=n), 0)) for n in range(days)]
    peak = max((views for _, views in series), default=0) or 1
    width = WIDTH / days
    bars = []
    for n, (day, views) in enumerate(series):
        height = round(views / peak * (HEIGHT - 4), 1)
        bars.append(
            {
                "x": round(n * width, 1),
                "y": round(HEIGHT - height, 1),
                "width": round(width - GAP, 1),
                "height": height,
                "day": day,
                "views": views,
            }
        )
    top = max(v for _, v in series)
    return {
        "bars": bars,
        # The scale beside the chart: the busiest day's count at the top, half of it midway, 0 at the bottom.
        "scale": [top, round(top / 2, 1) if top % 2 else top // 2, 0],
        "width": WIDTH,
        "height": HEIGHT,
        "peak": top,
        "total": sum(v for _, v in series),
    }
