"""Sleeps 50 ms: what each tool costs to start, attach, record an idle program
and stop (py-spy refuses a program that ends before its first sample)."""
import time

time.sleep(0.05)
