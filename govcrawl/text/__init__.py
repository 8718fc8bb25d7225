"""Character-level text handling shared by discovery and report: folding labels and titles for
matching, Traditional → Simplified for the characters the portals use, pinyin annotations
(:mod:`govcrawl.text.fold`). Pure; imports nothing of govcrawl."""
