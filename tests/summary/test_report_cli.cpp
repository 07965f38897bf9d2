// placeholder until report.cpp exists
