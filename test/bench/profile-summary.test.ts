// How `npm run bench -- --profile` says where a case's time goes.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { areaOf, summarizeProfile, type CpuProfile } from '../../bench/profile-summary.js'

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 })

test('time counts to its package, our folder, the Node module, the collector or the native function', () => {
  assert.equal(areaOf(frame('Command', 'file:///app/node_modules/ioredis/built/Command.js')), 'ioredis')
  assert.equal(areaOf(frame('Session', 'file:///app/node_modules/@fastify/session/lib/session.js')), '@fastify/session')
  assert.equal(areaOf(frame('patch', 'file:///app/.bench-build/src/member/session-handle.js')), 'src/member')
  assert.equal(areaOf(frame('parserOnIncoming', 'node:_http_server')), 'node:_http_server')
  assert.equal(areaOf(frame('writeGeneric', 'node:internal/stream_base_commons')), 'node:stream_base_commons')
  assert.equal(areaOf(frame('Response', 'node:internal/deps/undici/undici')), 'node:deps/undici')
  assert.equal(areaOf(frame('(garbage collector)')), '(garbage collector)')
  assert.equal(areaOf(frame('writev')), 'native writev')
})

test('shares are of busy time: idle samples count for nothing', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(idle)') },
      { id: 2, callFrame: frame('Command', 'file:///a/node_modules/ioredis/built/Command.js') },
      { id: 3, callFrame: frame('patch', 'file:///a/src/member/session-handle.js') },
      { id: 4, callFrame: frame('(garbage collector)') },
    ],
    samples: [1, 2, 2, 3, 4, 1],
    timeDeltas: [500, 30, 30, 20, 20, 900],
  }
  const [areas, functions] = summarizeProfile(profile).split('\n\n')
  assert.deepEqual(areas!.split('\n').slice(2), ['| 60.0 % | ioredis |', '| 20.0 % | src/member |', '| 20.0 % | (garbage collector) |'])
  assert.equal(functions!.split('\n')[2], '| 60.0 % | Command — node_modules/ioredis/built/Command.js |')
})
