"""Magnetometry: instrument files -> SI tables -> Jc(B) (extended Bean), Tc, flux creep."""
