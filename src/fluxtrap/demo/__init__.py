"""``fluxtrap demo``: the main job end to end on a SYNTHETIC virtual lab.

- :mod:`.lab`: the virtual lab (sintering conditions -> Jc(B) -> an M(H) loop file);
- :mod:`.run`: both loops, the magnet simulation, the creep fit (``run_demo``);
- :mod:`.report`: the self-contained HTML report;
- :mod:`.results`: what the run hands the report (trials, settings, the result).
"""
