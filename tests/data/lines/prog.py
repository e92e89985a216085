import time

@profile
def work(n):
    total = 0
    for i in range(n):
        total += i
    # a comment
    if n < 0:
        return -1
    time.sleep(0.1)
    return total

def never():
    return 1

work(10)
work(10)
