"""Every key of the data table, in one place. Tenant data keys start with ``T#<tenant>``; the few
routing keys that let inbound traffic find its tenant (a phone_number_id, a WABA, a mailbox) start with
``ROUTE#`` and hold nothing but the pointer to the tenant's channel.

Layout (pk / sk):
  channel               T#t            / CHANNEL#<channel_id>
  routing item          ROUTE#<kind>#<value> / ROUTE
  contact               T#t#C#<contact_id> / PROFILE
  identifier (unique)   T#t#ID#<kind>#<value> / ID            -> contact_id
  thread pointer        T#t#PTR#<channel_id>#<address> / PTR  -> contact, current session, window
  session               T#t#S#<session_id> / SESSION          (GSI1: T#t#SESSIONS / <last activity>#<id>;
                                                              GSI3, keys only: T#t#C#<contact>#SESSIONS /
                                                              <created>#<id>; GSI2 for sessions older than GSI3)
  message               T#t#S#<session_id> / M#<time>#<message_id>
  provider id alias     T#t#PID#<provider message id> / PID   -> session, message sort key
  parked statuses       T#t#PID#<provider message id> / PARKED  one attribute per status that came early
  campaign              T#t#CAMP#<campaign_id> / CAMPAIGN     (GSI1: T#t#CAMPAIGNS / <created>#<id>)
  campaign recipient    T#t#CAMP#<campaign_id> / R#<contact_id>
  campaign message      T#t#C#<contact_id> / M#<time>#<message_id>  (the contact's timeline)
  latest campaign sent  T#t#CAMPRCPT#<channel_id>#<contact_id> / CAMPRCPT  -> campaign recipient key
  event sequence        T#t / EVENTSEQ                        the tenant's last event number (atomic ADD)
  event (the log)       T#t#EVENTS / <seq, 15 digits>         TTL ``expires_at`` (docs/realtime.md)
  WebSocket connection  T#t#WSCONN / <connection_id>          TTL ``expires_at``
  webhook subscription  T#t#WHSUB / <subscription_id>
  webhook delivery      T#t#WHDLV#<subscription_id> / <seq, 15 digits>   TTL ``expires_at``
  rate card             T#t / RATECARD                        the tenant's prices per market and category
  monthly cost counts   T#t#COSTS / <YYYY-MM>#<channel_id>    ``n#<market>#<category>#<type>#<billable>`` (ADD)
  costed message        T#t#COSTED#<provider message id> / COSTED   counted once; TTL ``expires_at``
  pricing tier update   T#t#TIERS / <YYYY-MM>#<category>#<region>#<waba_id>   VOLUME_BASED_PRICING_TIER_UPDATE
  typing indicator      T#t#TYPING#<session_id> / TYPING           the last one sent (rate limit per session)
  SLA policy            T#t#SLAPOL#<policy_id> / SLA_POLICY  (GSI1: T#t#SLAPOLICIES / <created>#<id>)
  SLA policy scope      T#t#SLASCOPE#<group|channel>#<id> / SLASCOPE  -> the policy and its targets (one per scope)
  report day cell       T#t#RPTCELL / <day>#<operator>#<group>#<channel>[#D]   counters ([#D]: with durations; docs/reports.md)
  report marker         T#t#RPTMARK#<fact> / MARK             an event counted once; TTL ``expires_at``
  open-sessions gauge   T#t / RPTGAUGE
"""

from __future__ import annotations

PK = "pk"
SK = "sk"
GSI1 = "gsi1"
GSI1_PK = "gsi1pk"
GSI1_SK = "gsi1sk"
GSI2 = "gsi2"
GSI2_PK = "gsi2pk"
GSI2_SK = "gsi2sk"
# A contact's sessions, keys only: every message rewrites its session, which would rewrite the session's
# entry in an index projecting everything (GSI2 did, until sessions moved here: docs/cold-start-and-cost.md).
GSI3 = "gsi3"
GSI3_PK = "gsi3pk"
GSI3_SK = "gsi3sk"
TTL_ATTRIBUTE = "expires_at"


def tenant(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def tenant_settings(tenant_id: str) -> dict[str, str]:
    """A tenant's settings (``allowed_media_types``...)."""
    return {PK: tenant(tenant_id), SK: "SETTINGS"}


def channel(tenant_id: str, channel_id: str) -> dict[str, str]:
    return {PK: tenant(tenant_id), SK: f"CHANNEL#{channel_id}"}


def route(kind: str, value: str) -> dict[str, str]:
    return {PK: f"ROUTE#{kind}#{value}", SK: "ROUTE"}


def contact(tenant_id: str, contact_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#C#{contact_id}", SK: "PROFILE"}


def identifier(tenant_id: str, kind: str, value: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#ID#{kind}#{value}", SK: "ID"}


def thread(tenant_id: str, channel_id: str, address: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#PTR#{channel_id}#{address}", SK: "PTR"}


def session(tenant_id: str, session_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#S#{session_id}", SK: "SESSION"}


def sessions_index(tenant_id: str) -> str:
    return f"T#{tenant_id}#SESSIONS"


def contact_sessions_index(tenant_id: str, contact_id: str) -> str:
    """GSI3 partition of a contact's sessions (sort key: created_at#session_id); GSI2's, for sessions written
    before GSI3."""
    return f"T#{tenant_id}#C#{contact_id}#SESSIONS"


def session_partition(tenant_id: str, session_id: str) -> str:
    return f"T#{tenant_id}#S#{session_id}"


def message(tenant_id: str, session_id: str, sort_key: str) -> dict[str, str]:
    return {PK: session_partition(tenant_id, session_id), SK: sort_key}


def message_sort_key(at_iso: str, message_id: str) -> str:
    return f"M#{at_iso}#{message_id}"


def provider_id(tenant_id: str, provider_message_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#PID#{provider_message_id}", SK: "PID"}


def parked_statuses(tenant_id: str, provider_message_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#PID#{provider_message_id}", SK: "PARKED"}


def session_note(tenant_id: str, session_id: str, at_iso: str, note_id: str) -> dict[str, str]:
    """An operator's note on a session, in the session's partition (``NOTE#`` never mixes with ``M#``)."""
    return {PK: session_partition(tenant_id, session_id), SK: f"NOTE#{at_iso}#{note_id}"}


def send_request(tenant_id: str, idempotency_key: str) -> dict[str, str]:
    """An ``Idempotency-Key`` of a send: the first request's message, so a retried request sends once."""
    return {PK: f"T#{tenant_id}#IDEM#{idempotency_key}", SK: "IDEM"}


def send_rate(tenant_id: str, channel_id: str, epoch_second: int) -> dict[str, str]:
    """A channel's sends within one second, counted across every worker (TTL ``expires_at``)."""
    return {PK: f"T#{tenant_id}#RATE#{channel_id}#{epoch_second}", SK: "RATE"}


def templates_partition(tenant_id: str, channel_id: str) -> str:
    """A channel's message templates (one WABA's set, as synced for that channel)."""
    return f"T#{tenant_id}#TPL#{channel_id}"


def template_sort_key(name: str, language: str) -> str:
    """The sort key of a template item (``template(tenant, channel, sort_key)`` below)."""
    return f"{name}#{language}"


def template_sync_status(tenant_id: str, channel_id: str) -> dict[str, str]:
    """The outcome of a channel's last template sync (ok or failed, with the Graph error)."""
    return {PK: f"T#{tenant_id}#TPLSYNC#{channel_id}", SK: "SYNC"}


# GSI1 partition of every WhatsApp channel of every tenant (on the ``ROUTE#channel#<id>`` items): the
# hourly template sync walks it. Not a hot path; a handful of items per tenant.
WHATSAPP_CHANNELS_INDEX = "ROUTE#channels#whatsapp"


# The contact directory (docs/contacts.md): list and blocked indexes, search tokens, history, audit.
def contacts_index(tenant_id: str) -> str:
    """GSI1 partition of every contact (sort key: created_at#contact_id)."""
    return f"T#{tenant_id}#CONTACTS"


def blocked_contacts_index(tenant_id: str) -> str:
    """GSI2 partition of blocked contacts (sparse: only while a block is set)."""
    return f"T#{tenant_id}#CBLOCKED"


def contact_token_partition(tenant_id: str, token: str) -> str:
    return f"T#{tenant_id}#CTOK#{token}"


def contact_token(tenant_id: str, token: str, contact_id: str) -> dict[str, str]:
    return {PK: contact_token_partition(tenant_id, token), SK: contact_id}


def contact_tombstone(tenant_id: str, contact_id: str) -> dict[str, str]:
    """What remains of a contact merged into another: ``merged_into``."""
    return {PK: f"T#{tenant_id}#C#{contact_id}", SK: "MERGED"}


def history_sort_key(at_iso: str, entry_id: str) -> str:
    return f"H#{at_iso}#{entry_id}"


def contact_attributes(tenant_id: str) -> dict[str, str]:
    return {PK: tenant(tenant_id), SK: "CONTACT_ATTRIBUTES"}


def audit(tenant_id: str, at_iso: str, entry_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#AUDIT", SK: f"{at_iso}#{entry_id}"}


def email_message_id(tenant_id: str, channel_id: str, message_id: str) -> dict[str, str]:
    """An email Message-ID seen on a mailbox (ours, the one SES assigned, or a customer's) -> its session."""
    return {PK: f"T#{tenant_id}#EMAILID#{channel_id}#{message_id}", SK: "EMAILID"}


def mailgun_token(tenant_id: str, token: str) -> dict[str, str]:
    """A Mailgun webhook token already accepted (replay protection, with a TTL)."""
    return {PK: f"T#{tenant_id}#MGTOKEN#{token}", SK: "MGTOKEN"}


def automated_mail(tenant_id: str, received_iso: str, record_id: str) -> dict[str, str]:
    """An auto-reply, bounce or unparseable message that belongs to no thread (kept, never answered)."""
    return {PK: f"T#{tenant_id}#EMAILAUTO", SK: f"{received_iso}#{record_id}"}


def campaign_partition(tenant_id: str, campaign_id: str) -> str:
    return f"T#{tenant_id}#CAMP#{campaign_id}"


def campaign(tenant_id: str, campaign_id: str) -> dict[str, str]:
    return {PK: campaign_partition(tenant_id, campaign_id), SK: "CAMPAIGN"}


def campaigns_index(tenant_id: str) -> str:
    """GSI1 partition of a tenant's campaigns (sort key: created_at#campaign_id)."""
    return f"T#{tenant_id}#CAMPAIGNS"


def campaign_recipient(tenant_id: str, campaign_id: str, contact_id: str) -> dict[str, str]:
    return {PK: campaign_partition(tenant_id, campaign_id), SK: f"R#{contact_id}"}


def campaign_reply_index(tenant_id: str, channel_id: str, contact_id: str) -> dict[str, str]:
    """Which campaign recipient a contact's reply on a channel belongs to (the latest one queued)."""
    return {PK: f"T#{tenant_id}#CAMPRCPT#{channel_id}#{contact_id}", SK: "CAMPRCPT"}


def opt_out(tenant_id: str, channel_id: str, wa_id: str) -> dict[str, str]:
    """A recipient's marketing preference on a channel (written by the inbound path)."""
    return {PK: f"T#{tenant_id}#OPTOUT#{channel_id}#{wa_id}", SK: "OPTOUT"}


def webhook_update(tenant_id: str, kind: str, sort_key: str) -> dict[str, str]:
    """A webhook-level error or an unhandled field, newest first by its sort key ``<time>#<event id>``."""
    return {PK: f"T#{tenant_id}#WEBHOOK#{kind}", SK: sort_key}


def webhook_update_seen(tenant_id: str, kind: str, event_id: str) -> dict[str, str]:
    """Marks a webhook update as recorded, so a redelivery (at another time) is not listed twice."""
    return {PK: f"T#{tenant_id}#WEBHOOKSEEN#{kind}#{event_id}", SK: "SEEN"}


def template(tenant_id: str, channel_id: str, sort_key: str) -> dict[str, str]:
    """A message template of a channel: sort key ``<name>#<language>`` (``ID#<id>`` without them)."""
    return {PK: f"T#{tenant_id}#TPL#{channel_id}", SK: sort_key}


def contact_request(tenant_id: str, idempotency_key: str) -> dict[str, str]:
    """An ``Idempotency-Key`` of POST /contacts: the contact the first request created."""
    return {PK: f"T#{tenant_id}#IDEM#{idempotency_key}", SK: "CONTACT"}


# The team (docs/team.md): operators, groups and their queues, presence, routing rules, canned responses.
def operator(tenant_id: str, operator_id: str) -> dict[str, str]:
    """An operator: profile, role, groups, capacity, presence and ``open_count`` (the sessions it holds)."""
    return {PK: f"T#{tenant_id}#OP#{operator_id}", SK: "OPERATOR"}


def operators_index(tenant_id: str) -> str:
    """GSI1 partition of a tenant's operators (sort key: created_at#operator_id)."""
    return f"T#{tenant_id}#OPERATORS"


def operator_email(tenant_id: str, email: str) -> dict[str, str]:
    """An operator's email, unique in its tenant -> operator_id."""
    return {PK: f"T#{tenant_id}#OPEMAIL#{email.lower()}", SK: "OPEMAIL"}


def presence_index(shard: int) -> str:
    """GSI2 partition of operators whose presence expires (online or away), across tenants; sort key
    ``<expires at>#<tenant>#<operator>``. The sweep reads the expired part of each shard."""
    return f"PRESENCE#{shard}"


def group(tenant_id: str, group_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#GRP#{group_id}", SK: "GROUP"}


def groups_index(tenant_id: str) -> str:
    """GSI1 partition of a tenant's groups (sort key: created_at#group_id)."""
    return f"T#{tenant_id}#GROUPS"


def group_queue_partition(tenant_id: str, group_id: str) -> str:
    """A group's waiting sessions, oldest first (sort key: ``<arrived at>#<session_id>``)."""
    return f"T#{tenant_id}#GRP#{group_id}#QUEUE"


def group_queue_entry(tenant_id: str, group_id: str, arrived_at: str, session_id: str) -> dict[str, str]:
    return {PK: group_queue_partition(tenant_id, group_id), SK: f"{arrived_at}#{session_id}"}


def routing_rules(tenant_id: str) -> dict[str, str]:
    """The tenant's ordered routing rules and its default group."""
    return {PK: tenant(tenant_id), SK: "ROUTING_RULES"}


def channel_hours(tenant_id: str, channel_id: str) -> dict[str, str]:
    """A channel's business hours and away message (the team's settings of a channel)."""
    return {PK: tenant(tenant_id), SK: f"CHANNELHOURS#{channel_id}"}


def canned_response(tenant_id: str, response_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#CANNED#{response_id}", SK: "CANNED"}


def canned_index(tenant_id: str, owner_id: str | None) -> str:
    """GSI1 partition of the tenant-wide canned responses (owner None) or one operator's personal ones;
    sort key ``<shortcut>#<id>`` (search by shortcut prefix)."""
    return f"T#{tenant_id}#CANNEDS" + (f"#OP#{owner_id}" if owner_id else "")


def session_timeline_sort_key(at_iso: str, entry_id: str) -> str:
    """A system entry on a session's timeline (transfer), among its messages (``M#``)."""
    return message_sort_key(at_iso, entry_id)


# Realtime (docs/realtime.md): the event log, WebSocket connections, webhook subscriptions.
SEQ_DIGITS = 15


def seq_sort_key(seq: int) -> str:
    return f"{seq:0{SEQ_DIGITS}d}"


def event_sequence(tenant_id: str) -> dict[str, str]:
    """The tenant's last event number, moved by an atomic ``ADD`` (never read-then-write)."""
    return {PK: tenant(tenant_id), SK: "EVENTSEQ"}


def events_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#EVENTS"


def event(tenant_id: str, seq: int) -> dict[str, str]:
    return {PK: events_partition(tenant_id), SK: seq_sort_key(seq)}


def event_claim(tenant_id: str, event_id: str) -> dict[str, str]:
    """The number a bus event got, under its bus id (its own partition: the log's holds numbers only)."""
    return {PK: f"T#{tenant_id}#EVENTIDS", SK: event_id}


def connections_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#WSCONN"


def connection(tenant_id: str, connection_id: str) -> dict[str, str]:
    return {PK: connections_partition(tenant_id), SK: connection_id}


def webhook_subscriptions_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#WHSUB"


def webhook_subscription(tenant_id: str, subscription_id: str) -> dict[str, str]:
    return {PK: webhook_subscriptions_partition(tenant_id), SK: subscription_id}


def webhook_deliveries_partition(tenant_id: str, subscription_id: str) -> str:
    return f"T#{tenant_id}#WHDLV#{subscription_id}"


def webhook_delivery(tenant_id: str, subscription_id: str, seq: int) -> dict[str, str]:
    """One event's delivery to one subscription: keyed by the event's number, so it is made once."""
    return {PK: webhook_deliveries_partition(tenant_id, subscription_id), SK: seq_sort_key(seq)}


# Coexistence (docs/coexistence.md): the chat history a WhatsApp Business app number shares when it is
# onboarded onto the Cloud API, imported per channel in slices.
def history_imports_partition(tenant_id: str, channel_id: str) -> str:
    """A channel's history import: one item per chunk Meta sent and one per slice imported."""
    return f"T#{tenant_id}#HISTIMPORT#{channel_id}"


def history_chunk(tenant_id: str, channel_id: str, phase: int, chunk_order: int) -> dict[str, str]:
    return {PK: history_imports_partition(tenant_id, channel_id), SK: f"CHUNK#{phase:02d}#{chunk_order:06d}"}


def history_slice(tenant_id: str, channel_id: str, phase: int, chunk_order: int, slice_id: str) -> dict[str, str]:
    return {PK: history_imports_partition(tenant_id, channel_id),
            SK: f"CHUNK#{phase:02d}#{chunk_order:06d}#SLICE#{slice_id}"}


def history_declined(tenant_id: str, channel_id: str) -> dict[str, str]:
    """The business declined to share its chat history (Meta's history ``errors``)."""
    return {PK: history_imports_partition(tenant_id, channel_id), SK: "DECLINED"}


# Conversation search (docs/search.md): one entry per distinct word of a session, sharded by the word's first
# characters; the session's word set in its own partition. Saved filters of the session list.
def session_word_partition(tenant_id: str, shard: str) -> str:
    return f"T#{tenant_id}#SW#{shard}"


def session_word(tenant_id: str, shard: str, word: str, session_id: str) -> dict[str, str]:
    """``<word>#<session id>``: a term reads the entries whose sort key begins with it."""
    return {PK: session_word_partition(tenant_id, shard), SK: f"{word}#{session_id}"}


def session_words(tenant_id: str, session_id: str) -> dict[str, str]:
    """The words a session is indexed under (``text_words``, ``contact_words``), in its own partition."""
    return {PK: session_partition(tenant_id, session_id), SK: "WORDS"}


def saved_filters_partition(tenant_id: str, owner_id: str | None) -> str:
    """An operator's own saved filters, or (``owner_id`` None) those shared with the tenant."""
    return f"T#{tenant_id}#SAVEDFILTERS#" + (f"OP#{owner_id}" if owner_id else "SHARED")


def saved_filter(tenant_id: str, owner_id: str | None, filter_id: str) -> dict[str, str]:
    return {PK: saved_filters_partition(tenant_id, owner_id), SK: filter_id}


def rate_card(tenant_id: str) -> dict[str, str]:
    return {PK: tenant(tenant_id), SK: "RATECARD"}


def costs_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#COSTS"


def cost_month(tenant_id: str, month: str, channel_id: str) -> dict[str, str]:
    """A channel's counts of priced messages in one month (``YYYY-MM``): months sort, a range is one query."""
    return {PK: costs_partition(tenant_id), SK: f"{month}#{channel_id}"}


def costed_message(tenant_id: str, provider_message_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#COSTED#{provider_message_id}", SK: "COSTED"}


def pricing_tiers_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#TIERS"


def pricing_tier(tenant_id: str, month: str, category: str, region: str, waba_id: str) -> dict[str, str]:
    return {PK: pricing_tiers_partition(tenant_id), SK: f"{month}#{category}#{region}#{waba_id}"}


def typing_indicator(tenant_id: str, session_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#TYPING#{session_id}", SK: "TYPING"}


def sla_policy(tenant_id: str, policy_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#SLAPOL#{policy_id}", SK: "SLA_POLICY"}


def sla_policies_index(tenant_id: str) -> str:
    """GSI1 partition of a tenant's SLA policies (sort key: created_at#policy_id)."""
    return f"T#{tenant_id}#SLAPOLICIES"


def sla_scope(tenant_id: str, kind: str, scope_id: str) -> dict[str, str]:
    """The one policy of a group or a channel (kind ``group`` / ``channel``), with a copy of its targets."""
    return {PK: f"T#{tenant_id}#SLASCOPE#{kind}#{scope_id}", SK: "SLASCOPE"}


# Reports and CSAT (docs/reports.md): day cells per (operator, group, channel), per-event markers, the
# open-sessions gauge.
def report_cells(tenant_id: str) -> str:
    """The tenant's day cells: a range of days is one Query."""
    return f"T#{tenant_id}#RPTCELL"


def report_cell(tenant_id: str, day: str, operator: str, group: str, channel: str,
                durations: bool = False) -> dict[str, str]:
    """One day's counters of one operator in one group on one channel; ``durations``: the item that also keeps
    that cell's durations (written only by facts that carry one). The ids never hold ``#`` (team.models.Id)."""
    return {PK: report_cells(tenant_id), SK: f"{day}#{operator}#{group}#{channel}" + ("#D" if durations else "")}


def report_marker(tenant_id: str, fact: str) -> dict[str, str]:
    """An event already counted (written in the counting transaction; TTL ``expires_at``)."""
    return {PK: f"T#{tenant_id}#RPTMARK#{fact}", SK: "MARK"}


def report_gauge(tenant_id: str) -> dict[str, str]:
    """The tenant's open sessions now (``ADD open``), kept with the day buckets."""
    return {PK: tenant(tenant_id), SK: "RPTGAUGE"}
