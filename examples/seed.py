# The program from the Stack Overflow question this tool grew from (Python 3 form).
# Run `flake8-mpproxy examples/seed.py` to see its three findings; `--fix --unsafe-fixes` repairs it.
from multiprocessing import Process, Manager

manager = Manager()
d = manager.dict()

def f():
    d[1].append(4)
    print(d)

if __name__ == '__main__':
    d[1] = []
    p = Process(target=f)
    p.start()
    p.join()
