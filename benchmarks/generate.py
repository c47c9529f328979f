"""Make fictional agency chronologies of any size, in the spellings agencies really use."""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

AGENCY_NAMES = ["Probation", "Police", "Children's social care", "Health visiting", "GP",
                "Nursery", "School", "Housing", "Ambulance", "Hospital", "Youth service",
                "Drug and alcohol service"]
EVENTS = ["Home visit; child seen.", "Telephone call with mother.", "Missed appointment.",
          "Strategy meeting about concerns for the child.", "Core group meeting.",
          "Letter sent to family.", "Referral received.", "Assessment completed.",
          "Supervision appointment.", "Case discussed in supervision."]


def spell(day: date, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.6:
        return f"{day:%d/%m/%Y}"
    if style < 0.75:
        return f"{day.day} {day:%b %Y}"
    if style < 0.85:
        return f"{day.day}.{day.month}.{day:%y}"
    if style < 0.92:
        return day.isoformat()
    if style < 0.97:
        return f"?{day:%d/%m/%Y}"
    return f"{day:%m/%Y}"


def generate(folder: Path, events: int, agencies: int, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = date(2014, 1, 1)
    per_agency = events // agencies
    paths = []
    for index in range(agencies):
        name = AGENCY_NAMES[index % len(AGENCY_NAMES)]
        path = folder / f"agency-{index + 1:02d}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Ref", "Date", "Time", "Source of information", "Event", "Outcome",
                             "Significance"])
            count = per_agency + (1 if index < events % agencies else 0)
            for number in range(1, count + 1):
                day = start + timedelta(days=rng.randrange(0, 3 * 365))
                time = f"{rng.randrange(8, 19):02d}:{rng.choice(['00', '15', '30', '45'])}" \
                    if rng.random() < 0.4 else ""
                writer.writerow([number, spell(day, rng), time, f"{name} case record",
                                 rng.choice(EVENTS), "Recorded.",
                                 rng.choice(["High", "Medium", "Low", ""])])
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=12)
    args = parser.parse_args()
    generate(args.folder, args.events, args.agencies)
