import threading

def keep():
    return bytearray(200 << 20)

def churn(n):
    tmp = bytearray(n << 20)
    del tmp

def strings(n):
    return [str(i) for i in range(n)]

def deep(k):
    if k: return deep(k - 1)
    return bytearray(1 << 20)

kept = keep()
churn(100)
s = strings(1000)
deep(12)
threading.Thread(target=churn, args=(50,)).start()
