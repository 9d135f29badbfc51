// The dashboard: a token login kept in sessionStorage (this tab only, gone when it
// closes), then members, services, rollouts, mesh traffic and events of the cluster as
// this node sees them, live: the event stream triggers a refresh at once, and a timer
// refreshes anyway (members every 250 ms, the rest every second), so a member's new
// state shows within a quarter of a second of this node's verdict even without an event.

import { followEvents, getJson, Unauthorized } from './api.js'
import { Members } from './members.js'
import { renderAlerts } from './alerts.js'
import { RecentEvents } from './recent.js'
import { Traffic } from './traffic.js'
import { renderEvents, renderMembers, renderRollouts, renderServices, renderTraffic } from './views.js'

const TOKEN_KEY = 'meshd.token'
const MEMBERS_EVERY_MS = 250
const ALL_EVERY_MS = 1000
const EVENTS_KEPT = 100

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
  const events = new RecentEvents(EVENTS_KEPT)
  const members = new Members()
  let services = []
  let streaming = false
  // The history at connect is up to a thousand events a member: draw the list once per frame, not per event.
  let drawing = false
  const showEvents = () => {
    if (drawing) return
    drawing = true
    requestAnimationFrame(() => { drawing = false; renderEvents($('events'), events.list, members.list) })
  }
  const refused = (err) => { if (err instanceof Unauthorized && !signal.aborted) showLogin(`Signed out: ${err.message}.`) }

  const showMembers = () => { renderMembers($('members'), members.list, services, members.since) }
  const askMembers = async () => {
    const asked = performance.now()
    members.answer(await getJson(token, '/v1/nodes', signal), asked, Date.now())
  }
  const refreshMembers = async () => {
    await askMembers()
    showMembers()
  }
  const refreshAll = async () => {
    const [list, mesh, alerts] = await Promise.all([getJson(token, '/v1/services', signal), getJson(token, '/v1/mesh', signal), getJson(token, '/v1/alerts', signal), askMembers()])
    services = list
    traffic.add(Date.now(), mesh)
    showMembers()
    renderServices($('services'), services, members.list)
    renderRollouts($('rollouts'), services)
    renderTraffic($('traffic'), traffic)
    renderAlerts($('alerts'), alerts)
    renderEvents($('events'), events.list, members.list)
  }
  const report = (err) => {
    if (err === undefined) {
      setStatus(streaming ? 'live' : 'polling', streaming ? '' : 'the event stream is not connected; refreshing on a timer')
      return
    }
    refused(err)
    if (signal.aborted || err instanceof Unauthorized) return
    console.warn(`meshd dashboard: ${err?.message ?? err}`)
    setStatus('offline', err?.message ?? String(err))
  }
  const refreshNow = repeat(refreshAll, ALL_EVERY_MS, signal, report)
  repeat(refreshMembers, MEMBERS_EVERY_MS, signal, report)

  followEvents(token, {
    signal,
    onStatus: (state, why) => { streaming = state === 'live'; setStatus(state === 'live' ? 'live' : 'polling', why) },
    onEvent: (kind, event) => {
      if (!events.add(kind, event, Date.now())) return
      if (members.news(event, performance.now(), Date.now())) showMembers()
      showEvents()
      void refreshNow()
    }
  }).catch(refused)

  showEvents()
  return { stop: () => { controller.abort() } }
}

/**
 * Runs refresh now and every `ms` until signal aborts: never two at once, nothing while the
 * tab is hidden (it catches up when shown); report(error or undefined) after each. Returns run-now.
 */
function repeat (refresh, ms, signal, report) {
  let running = false
  const run = async () => {
    if (running || signal.aborted || document.hidden) return
    running = true
    try {
      await refresh()
      report(undefined)
    } catch (err) {
      report(err)
    } finally { running = false }
  }
  const timer = setInterval(run, ms)
  const shown = () => { if (!document.hidden) void run() }
  document.addEventListener('visibilitychange', shown)
  signal.addEventListener('abort', () => { clearInterval(timer); document.removeEventListener('visibilitychange', shown) }, { once: true })
  void run()
  return run
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
