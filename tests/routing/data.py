"""A small labelled set we wrote for router tests: three intents and out-of-scope messages."""

from __future__ import annotations

import json
from pathlib import Path

INTENTS = {
    "weather": [
        "will it rain tomorrow",
        "what's the forecast for the weekend",
        "is it going to snow",
        "how hot will it be today",
        "do I need an umbrella",
        "weather in paris",
        "is it sunny outside",
        "temperature tonight",
        "will there be a storm",
        "how windy is it",
        "forecast for monday",
        "chance of rain this afternoon",
        "is it cold out",
        "will it be foggy in the morning",
        "what's the humidity",
    ],
    "music": [
        "play some jazz",
        "put on my workout playlist",
        "skip this song",
        "turn the volume up",
        "play the latest album by adele",
        "shuffle my favourites",
        "pause the music",
        "what song is this",
        "play something relaxing",
        "next track please",
        "add this song to my playlist",
        "play classical music",
        "repeat this song",
        "play radio hits",
        "stop the music",
    ],
    "timer": [
        "set a timer for ten minutes",
        "start a 5 minute timer",
        "how long is left on my timer",
        "cancel the timer",
        "timer for 30 seconds",
        "set an alarm for 7am",
        "wake me up at six",
        "remind me in an hour",
        "pause my timer",
        "add five minutes to the timer",
        "set a countdown for the pasta",
        "stop the alarm",
        "timer 20 minutes",
        "alarm for tomorrow morning",
        "snooze the alarm",
    ],
    "oos": [
        "what is the meaning of life",
        "how do I file my taxes",
        "who wrote hamlet",
        "translate thank you into german",
        "book me a flight to rome",
        "what's my credit score",
        "how many calories in an apple",
        "tell me about black holes",
        "order a pizza",
        "what is the capital of peru",
        "how do I change a tire",
        "recommend a good novel",
    ],
}


def write_split(directory: Path) -> tuple[Path, Path, Path]:
    """train / val / test JSONL files: each label's examples dealt out 3:1:1."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / f"{name}.jsonl" for name in ("train", "val", "test")}
    lines: dict[str, list[str]] = {name: [] for name in files}
    for label, texts in INTENTS.items():
        for index, text in enumerate(texts):
            split = ("train", "train", "train", "val", "test")[index % 5]
            lines[split].append(json.dumps({"text": text, "label": label}))
    for name, path in files.items():
        path.write_text("\n".join(lines[name]) + "\n")
    return files["train"], files["val"], files["test"]
