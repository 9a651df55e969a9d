#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""The include graph of user/ (and the headers it reaches in common/ and
tests/unit/): no two files include each other in a circle, and the
layers point one way, ncmigd/ -> lib/ -> common/, include/uapi/.
Prints one line "layers: files=N includes=N cycles=0 upward=0" and
exits 1 if either count is not 0 (naming the files)."""
import os, re, sys

top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
# where "x.h" is looked for, as user/Makefile's -I order has it
search = ['user/lib/include', 'user/lib', 'user/ncmigd', 'common', '']
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def resolve(src, name):
    here = os.path.dirname(src)
    for d in [here] + search:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(top, p)):
            return p
    return None


def layer(p):
    for pre, n in (('user/ncmigd/', 2), ('user/lib/', 1), ('common/', 0),
                   ('include/', 0)):
        if p.startswith(pre):
            return n
    return None


files = []
for d in ('user/lib', 'user/lib/include', 'user/ncmigd'):
    for f in sorted(os.listdir(os.path.join(top, d))):
        if f.endswith(('.c', '.h')):
            files.append(os.path.join(d, f))
graph, todo, edges, upward = {}, list(files), 0, []
while todo:
    f = todo.pop()
    if f in graph:
        continue
    text = open(os.path.join(top, f)).read()
    graph[f] = []
    for name in inc.findall(text):
        p = resolve(f, name)
        if not p:
            continue
        graph[f].append(p)
        edges += 1
        a, b = layer(f), layer(p)
        if a is not None and b is not None and b > a:
            upward.append('%s -> %s' % (f, p))
        todo.append(p)

cycles, state = [], {}


def visit(f, path):
    state[f] = 1
    for g in graph.get(f, []):
        if state.get(g) == 1:
            cycles.append(' -> '.join(path[path.index(g):] + [g]))
        elif not state.get(g):
            visit(g, path + [g])
    state[f] = 2


for f in sorted(graph):
    if not state.get(f):
        visit(f, [f])
for c in cycles:
    print('layers: cycle: ' + c)
for u in upward:
    print('layers: upward: ' + u)
print('layers: files=%d includes=%d cycles=%d upward=%d' %
      (len(graph), edges, len(cycles), len(upward)))
sys.exit(1 if cycles or upward else 0)
