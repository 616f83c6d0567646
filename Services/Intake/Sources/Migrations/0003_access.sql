-- Access control (H-01, H-09): a manager may read a customer's profile when the customer was referred to them;
-- this index answers "which managers were this customer's referrals routed to" without scanning the visits.
CREATE INDEX visits_customer_manager ON visits (customer_id, referral_manager_id)
    WHERE referral_manager_id IS NOT NULL;
