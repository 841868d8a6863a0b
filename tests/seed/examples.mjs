// Every JavaScript example of the ImpactAPI endpoint reference (seed/impactapi-endpoints.txt), copied
// as published. The only changes, the ones SPEC.md allows a client: the base URL
// `https://testing.impactapi.co` is `${BASE}`, and the hard-coded ids and session secret are values
// run.mjs creates first (`ids`). One addition: the session create example gets the Authorization
// header (SPEC 2: a session belongs to an organization). The `{id}` placeholders of the
// impact_metrics and donation_intents URLs are filled with the same ids.
//
// Each example receives the runner's `fetch` (which records the response) and `console` (which keeps
// the output for a failure report); `process.env.IMPACT_API_KEY` is read as published.
//
// Order: the seed's, except that the two DELETE examples come last, since the session examples still
// use the customer and vendor they would delete.

export const examples = [
  // Campaigns
  {
    name: "GET /campaigns",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/campaigns`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },

  // Customers
  {
    name: "GET /customers",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/customers?per_page=10&page=1`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "POST /customers",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/customers`, {
        method: "POST",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          external_id: "customer-456",
          name: "Jane Doe",
          metadata: {
            email: "[email protected]",
            source: "web",
            customer_since: "2025-01-01"
          }
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /customers/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const customerId = ids.customer;
      const response = await fetch(`${BASE}/customers/${customerId}`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "PATCH /customers/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const customerId = ids.customer;
      const response = await fetch(`${BASE}/customers/${customerId}`, {
        method: "PATCH",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          external_id: "customer-456-updated",
          name: "Jane Smith",
          metadata: {
            email: "[email protected]",
            source: "mobile",
            updated: true
          }
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /customers/{id}/impact_metrics",
    run: async ({ BASE, ids, fetch, console }) => {
      const response = await fetch(`${BASE}/customers/${ids.customer}/impact_metrics?date_from=2024-01-01&date_to=2024-12-31`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /customers/{id}/donation_intents",
    run: async ({ BASE, ids, fetch, console }) => {
      const response = await fetch(`${BASE}/customers/${ids.customer}/donation_intents?per_page=10&page=1`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },

  // Donation intents
  {
    name: "POST /donation_intents",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/donation_intents`, {
        method: "POST",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify([
          { amount: 1000, campaign_identifier: "trees-for-the-future" }
        ]),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /donation_intents",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/donation_intents?per_page=10&page=1`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /donation_intents/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const intentId = ids.intent;
      const response = await fetch(`${BASE}/donation_intents/${intentId}`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "PUT /donation_intents/{id}/cancel",
    run: async ({ BASE, ids, fetch, console }) => {
      const intentId = ids.intent;
      const response = await fetch(`${BASE}/donation_intents/${intentId}/cancel`, {
        method: "PUT",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },

  // Donation sessions
  {
    name: "POST /sessions",
    run: async ({ BASE, ids, fetch, console }) => {
      const response = await fetch(`${BASE}/sessions`, {
        method: "POST",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          type: "add_on",
          available_campaigns: ["trees-for-the-future", "cleanhub"],
          amount: 500,
          customer_id: ids.customer,
          metadata: {
            source: "checkout",
            order_id: "ORD-12345"
          },
          expires_in: 60
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /sessions/{sessionId}",
    run: async ({ BASE, ids, fetch, console }) => {
      const sessionId = ids.addOnSession;
      const response = await fetch(`${BASE}/sessions/${sessionId}`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "PATCH /sessions/{sessionId}",
    run: async ({ BASE, ids, fetch, console }) => {
      const sessionId = ids.addOnSession;
      const response = await fetch(`${BASE}/sessions/${sessionId}`, {
        method: "PATCH",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          metadata: {
            order_id: "ORD-12345",
            utm_source: "email"
          },
          customer_id: ids.customer
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "PUT /sessions/{sessionId}/allocations",
    run: async ({ BASE, ids, fetch, console }) => {
      const sessionId = ids.portionOfSalesSession;
      const response = await fetch(`${BASE}/sessions/${sessionId}/allocations`, {
        method: "PUT",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          allocations: [
            {
              campaign_identifier: "trees-for-the-future",
              amount: 300
            },
            {
              campaign_identifier: "cleanhub",
              amount: 200
            }
          ]
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "POST /sessions/{sessionId}/choose_campaign",
    run: async ({ BASE, ids, fetch, console }) => {
      const sessionId = ids.addOnSession;
      const sessionSecret = ids.addOnSessionSecret;
      const response = await fetch(`${BASE}/sessions/${sessionId}/choose_campaign`, {
        method: "POST",
        headers: {
          "X-Session-Secret": sessionSecret,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          campaign_identifier: "trees-for-the-future"
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "POST /sessions/{sessionId}/process",
    run: async ({ BASE, ids, fetch, console }) => {
      const sessionId = ids.addOnSession;
      const response = await fetch(`${BASE}/sessions/${sessionId}/process`, {
        method: "POST",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          extends_by: 10080
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "POST /sessions/{sessionId}/confirm",
    run: async ({ BASE, ids, fetch, console }) => {
      const sessionId = ids.addOnSession;
      const response = await fetch(`${BASE}/sessions/${sessionId}/confirm`, {
        method: "POST",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },

  // Vendors
  {
    name: "GET /vendors",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/vendors?per_page=10&page=1`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "POST /vendors",
    run: async ({ BASE, fetch, console }) => {
      const response = await fetch(`${BASE}/vendors`, {
        method: "POST",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          external_id: "store-123",
          name: "Downtown Coffee Shop",
          metadata: {
            location: "123 Main St",
            type: "retail",
            manager: "John Doe"
          }
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /vendors/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const vendorId = ids.vendor;
      const response = await fetch(`${BASE}/vendors/${vendorId}`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "PATCH /vendors/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const vendorId = ids.vendor;
      const response = await fetch(`${BASE}/vendors/${vendorId}`, {
        method: "PATCH",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          external_id: "store-123-updated",
          name: "Downtown Coffee Shop - Main Branch",
          metadata: {
            manager: "Jane Smith",
            phone: "555-0123"
          }
        }),
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /vendors/{id}/impact_metrics",
    run: async ({ BASE, ids, fetch, console }) => {
      const response = await fetch(`${BASE}/vendors/${ids.vendor}/impact_metrics?date_from=2024-01-01&date_to=2024-12-31`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "GET /vendors/{id}/donation_intents",
    run: async ({ BASE, ids, fetch, console }) => {
      const response = await fetch(`${BASE}/vendors/${ids.vendor}/donation_intents?per_page=10&page=1`, {
        method: "GET",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },

  // The deletes, last (see the top of this file).
  {
    name: "DELETE /customers/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const customerId = ids.customer;
      const response = await fetch(`${BASE}/customers/${customerId}`, {
        method: "DELETE",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
  {
    name: "DELETE /vendors/{id}",
    run: async ({ BASE, ids, fetch, console }) => {
      const vendorId = ids.vendor;
      const response = await fetch(`${BASE}/vendors/${vendorId}`, {
        method: "DELETE",
        headers: {
          "Authorization": `Bearer ${process.env.IMPACT_API_KEY}`,
        },
      });
      const data = await response.json();
      console.log(data);
    },
  },
];
