import { otherMethods, route } from "@/lib/http/route";
import { signIn, signOut } from "@/lib/http/session";

export const dynamic = "force-dynamic";

/** POST /api/session (form from /sign-in, or JSON {token}) → session cookie; see signIn. */
export const POST = route((req) => signIn(req));

/** DELETE /api/session → 204, the session cookie cleared. */
export const DELETE = route(() => signOut());

export const { GET, HEAD, PUT, PATCH } = otherMethods({ POST, DELETE });
