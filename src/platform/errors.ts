/** An error with an HTTP meaning; rendered as a GOV.UK error page for people and RFC 9457 problem+json for the API. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const notFound = (detail = 'The page you asked for does not exist, or you do not have access to it.') => new HttpError(404, 'Page not found', detail);
export const forbidden = (detail = 'You do not have permission to do this.') => new HttpError(403, 'You do not have access to this page', detail);

/** Raised when a form was built from an older version of a record than the one now stored. */
export class ConflictError extends HttpError {
  constructor(
    /** Each field that differs between the stored record and the stale submission (already safe to show this user). */
    readonly diff: { label: string; current: string; submitted: string }[],
    readonly backHref: string,
  ) {
    super(409, 'Someone else changed this record', 'The record was changed by someone else after you opened it. Nothing has been saved.');
  }
}
