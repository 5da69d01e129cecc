// The handlers of each endpoint (store/api_*.cpp), as the router calls them.
#pragma once

#include "api_support.hpp"

namespace vigil::store {

// Unauthenticated or self-authenticating (enroll token, host signature).
Response handle_health(Ctx& ctx, const Request& req);
Response handle_enroll(Ctx& ctx, const Request& req);
Response handle_evidence(Ctx& ctx, const Request& req);

// People's endpoints, after the role check.
Response handle_hosts(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_host(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_allow_rekey(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_controls(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_drift(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_export(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_waiver_create(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_waiver_list(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_waiver_revoke(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_token_create(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_token_list(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_token_revoke(Ctx& ctx, const Request& req, const Caller& c, const Params& p);
Response handle_audit(Ctx& ctx, const Request& req, const Caller& c, const Params& p);

}  // namespace vigil::store
