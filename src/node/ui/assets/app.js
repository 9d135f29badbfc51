// The dashboard: a token login kept in sessionStorage (this tab only, gone when it
// closes), then members, services, rollouts, mesh traffic and events of the cluster as
// this node sees them, live: the event stream triggers a refresh at once, and a timer
// refreshes anyway (members every 250 ms, the rest every second), so a member's new
// state shows within a quarter of a second of this node's verdict even without an event.

import { followEvents, getJson, Unauthorized } from './api.js'
import { Traffic } from './traffic.js'
import { renderEvents, renderMembers, renderRollouts, renderServices, renderTraffic } from './views.js'

const TOKEN_KEY = 'meshd.token'
const MEMBERS_EVERY_MS = 250
const ALL_EVERY_MS = 1000
const EVENTS_KEPT = 100
/** A member event at most this old is news: it sets the member's state at once, before the next poll. */
const MEMBER_EVENT_FRESH_MS = 5000

const $ = (id) => document.getElementById(id)

let session

function showLogin (why = '') {
  session?.stop()
  session = undefined
  sessionStorage.removeItem(TOKEN_KEY)
  $('dashboard').hidden = true
  $('logout').hidden = true
  $('login').hidden = false
  $('login-error').textContent = why
  setStatus('offline', '')
  $('token').focus()
}

function setStatus (state, why) {
  const live = $('live')
  live.dataset.live = state
  live.textContent = state
  live.title = why ?? ''
}

/** One logged-in view: its timers, its event stream, its data; stop() ends them all. */
function start (token) {
  const controller = new AbortController()
  const { signal } = controller
  const traffic = new Traffic()
  const events = []
  const seen = new Set()
  let members = []
  let membersAsked = 0
  let services = []
  let streaming = false
  const refused = (err) => { if (err instanceof Unauthorized && !signal.aborted) showLogin(`Signed out: ${err.message}.`) }

  // Two loops read the members: an answer to an older question never replaces a newer one.
  // When this page first saw each member in its current state (shown, and read by the browser test).
  const since = new Map()
  const shownState = new Map()
  const setMembers = (list) => {
    members = list
    for (const m of members) {
      if (shownState.get(m.name) === m.state) continue
      shownState.set(m.name, m.state)
      since.set(m.name, Date.now())
    }
  }
  const showMembers = () => { renderMembers($('members'), members, services, since) }
  const askMembers = async () => {
    const asked = performance.now()
    const answer = await getJson(token, '/v1/nodes', signal)
    if (asked >= membersAsked) { membersAsked = asked; setMembers(answer) }
  }
  const refreshMembers = async () => {
    await askMembers()
    showMembers()
  }
  // A fresh member.alive/suspect/dead sets that member's state now; answers to questions asked before it are dropped.
  const memberNews = (event) => {
    const state = /^member\.(alive|suspect|dead)$/.exec(event.kind ?? '')?.[1]
    if (state === undefined || typeof event.time !== 'number' || Date.now() - event.time > MEMBER_EVENT_FRESH_MS) return
    if (!members.some((m) => (m.name === event.member || m.id === event.member) && m.state !== state)) return
    membersAsked = performance.now()
    setMembers(members.map((m) => m.name === event.member || m.id === event.member ? { ...m, state } : m))
    showMembers()
  }
  const refreshAll = async () => {
    const [list, mesh] = await Promise.all([getJson(token, '/v1/services', signal), getJson(token, '/v1/mesh', signal), askMembers()])
    services = list
    traffic.add(Date.now(), mesh)
    showMembers()
    renderServices($('services'), services, members)
    renderRollouts($('rollouts'), services)
    renderTraffic($('traffic'), traffic)
    renderEvents($('events'), events, members)
  }
  const loop = (refresh, every) => {
    let running = false
    const run = async () => {
      if (running || signal.aborted) return
      running = true
      try {
        await refresh()
        setStatus(streaming ? 'live' : 'polling', streaming ? '' : 'the event stream is not connected; refreshing on a timer')
      } catch (err) {
        refused(err)
        if (!signal.aborted && !(err instanceof Unauthorized)) {
          console.warn(`meshd dashboard: ${err?.message ?? err}`)
          setStatus('offline', err?.message ?? String(err))
        }
      } finally { running = false }
    }
    const timer = setInterval(run, every)
    signal.addEventListener('abort', () => { clearInterval(timer) }, { once: true })
    void run()
    return run
  }
  const refreshNow = loop(refreshAll, ALL_EVERY_MS)
  loop(refreshMembers, MEMBERS_EVERY_MS)

  followEvents(token, {
    signal,
    onStatus: (state, why) => { streaming = state === 'live'; setStatus(state === 'live' ? 'live' : 'polling', why) },
    onEvent: (kind, event) => {
      // History comes again after a reconnect: an event is its node's id. A frame without
      // one (meshd.unreachable: { node }) is news each time, stamped with this browser's clock.
      if (typeof event.id === 'number') {
        const key = `${event.node}:${event.id}:${event.kind}`
        if (seen.has(key)) return
        seen.add(key)
      }
      events.unshift({ time: Date.now(), ...event, kind: event.kind ?? kind })
      events.sort((a, b) => (b.time ?? 0) - (a.time ?? 0))
      events.splice(EVENTS_KEPT)
      if (seen.size > EVENTS_KEPT * 10) { seen.clear(); for (const e of events) seen.add(`${e.node}:${e.id}:${e.kind}`) }
      memberNews(event)
      renderEvents($('events'), events, members)
      void refreshNow()
    }
  }).catch(refused)

  renderEvents($('events'), events, members)
  return { stop: () => { controller.abort() } }
}

async function login (token) {
  $('login-error').textContent = ''
  try {
    await getJson(token, '/v1/nodes')
  } catch (err) {
    $('login-error').textContent = err instanceof Unauthorized ? `That token was refused: ${err.message}.` : `Cannot reach the API: ${err.message}`
    return
  }
  sessionStorage.setItem(TOKEN_KEY, token)
  $('login').hidden = true
  $('dashboard').hidden = false
  $('logout').hidden = false
  session?.stop()
  session = start(token)
}

async function main () {
  const health = await fetch('/v1/health', { cache: 'no-store' }).then((r) => r.json()).catch(() => undefined)
  if (health?.node?.name) {
    $('node').textContent = health.node.name
    document.title = `meshd \u00b7 ${health.node.name}`
  }
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault()
    const input = $('token')
    const token = input.value.trim()
    input.value = ''
    if (token !== '') void login(token)
  })
  $('logout').addEventListener('click', () => { showLogin('') })
  const saved = sessionStorage.getItem(TOKEN_KEY)
  if (saved) await login(saved)
  else showLogin('')
}

void main()
