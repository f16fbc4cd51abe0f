-- Webhook URLs no longer carry credentials (domain/webhook-urls.ts refuses user:password@, a query
-- and a fragment on the way in). A webhook stored earlier with one is deactivated and its URL cut
-- to scheme, host and path, so no credential stays in clear; its owner adds it again with a
-- `secret`. The fragment keeps the cut URL unique beside a webhook that already had it.
update webhooks
   set active = false,
       url = regexp_replace(regexp_replace(url, '^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@', '\1'), '[?#].*$', '')
             || '#credauth-deactivated-' || id
 where url ~ '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@' or url ~ '[?#]';

update notifications
   set recipient = regexp_replace(regexp_replace(recipient, '^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@', '\1'), '[?#].*$', '')
 where channel = 'webhook' and (recipient ~ '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@' or recipient ~ '[?#]');

update notification_attempts
   set error = regexp_replace(error, '([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@', '\1', 'g')
 where error ~ '://[^/?#\s]*@';

update notification_attempts
   set error = regexp_replace(error, '(://[^\s?#]*)[?#][^\s]*', '\1', 'g')
 where error ~ '://[^\s?#]*[?#]';
