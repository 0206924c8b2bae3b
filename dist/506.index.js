export const id = 506;
export const ids = [506];
export const modules = {

/***/ 2506:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  attachLayer: () => (/* binding */ attachLayer),
  codeArtifactIndex: () => (/* reexport */ codeArtifactIndex),
  createCodeArtifactClient: () => (/* reexport */ createCodeArtifactClient),
  preflight: () => (/* binding */ preflight),
  pruneLayer: () => (/* binding */ pruneLayer),
  publishLayer: () => (/* binding */ publishLayer),
  shareLayer: () => (/* binding */ shareLayer),
  testOnLambda: () => (/* binding */ testOnLambda),
  writeLayerParameter: () => (/* binding */ writeLayerParameter)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var core = __webpack_require__(3838);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
var external_node_fs_default = /*#__PURE__*/__webpack_require__.n(external_node_fs_);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/layer/zip.ts
var layer_zip = __webpack_require__(4358);
// EXTERNAL MODULE: ./src/runtimes.ts
var runtimes = __webpack_require__(1426);
// EXTERNAL MODULE: ./src/util/cancel.ts
var cancel = __webpack_require__(4436);
// EXTERNAL MODULE: ./src/util/concurrency.ts
var concurrency = __webpack_require__(3731);
// EXTERNAL MODULE: ./src/util/format.ts
var format = __webpack_require__(2693);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-lambda/dist-cjs/index.js
var dist_cjs = __webpack_require__(1696);
// EXTERNAL MODULE: ./src/aws-inputs/index.ts + 7 modules
var aws_inputs = __webpack_require__(1684);
// EXTERNAL MODULE: external "node:async_hooks"
var external_node_async_hooks_ = __webpack_require__(6698);
// EXTERNAL MODULE: ./node_modules/@smithy/node-http-handler/dist-cjs/index.js
var node_http_handler_dist_cjs = __webpack_require__(1279);
;// CONCATENATED MODULE: ./src/aws/client.ts
/**
 * The Lambda client, the time limits of every AWS call, and the
 * classification of the errors the SDK throws, shared by publish.ts,
 * attach.ts and s3.ts.
 */





/** Attempts per API call made by the SDK itself (throttling, 5xx, network errors). */
const SDK_MAX_ATTEMPTS = 5;
/** Default `aws-timeout`: how long one AWS call may take, the SDK's retries included. */
const DEFAULT_CALL_TIMEOUT_MS = 120_000;
/** Opening a connection. */
const CONNECT_TIMEOUT_MS = 10_000;
/** A connection with no bytes moving either way for this long is dropped (the attempt fails). */
const IDLE_TIMEOUT_MS = 60_000;
/** Calls that upload the zip get this much more time per MiB (1 MiB/s). */
const UPLOAD_MS_PER_MIB = 1000;
const DEFAULT_LIMITS = { callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS };
/** The limit of a call that uploads `bytes`. */
function uploadTimeoutMs(limits, bytes) {
    return limits.callTimeoutMs + Math.ceil((bytes / (1024 * 1024)) * UPLOAD_MS_PER_MIB);
}
/**
 * The HTTP handler of every client: bounded connection set-up and idle time
 * (`socketTimeout`; the handler's `requestTimeout` only logs a warning unless
 * told to throw). The whole call, retries included, is bounded by call().
 */
function requestHandler(limits = DEFAULT_LIMITS, idleTimeoutMs = IDLE_TIMEOUT_MS) {
    return new node_http_handler_dist_cjs.NodeHttpHandler({
        connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, limits.callTimeoutMs),
        socketTimeout: Math.min(idleTimeoutMs, limits.callTimeoutMs)
    });
}
/**
 * A Lambda client for `region` with the default credential chain and the SDK's
 * `standard` retry mode (`maxAttempts: 1` for calls that must never be sent
 * twice blindly). The SDK itself honours `AWS_ENDPOINT_URL_LAMBDA` and
 * `AWS_ENDPOINT_URL` (and `endpoint_url` in a shared config profile), which is how
 * the end-to-end tests point it at moto.
 */
function createLambdaClient(region, options = {}) {
    return recordAttempts(new dist_cjs/* LambdaClient */.Nox({
        region,
        retryMode: 'standard',
        maxAttempts: options.maxAttempts ?? SDK_MAX_ATTEMPTS,
        requestHandler: requestHandler(options.limits, options.idleTimeoutMs)
    }));
}
/** The call in progress (see call()): what its last failed attempt threw. */
const attempts = new external_node_async_hooks_.AsyncLocalStorage();
/**
 * Records each failed attempt of a call, inside the SDK's retry loop, so that
 * a call that ran out of time can say what its attempts met (throttling, a
 * 5xx, a dropped connection) instead of only that time ran out.
 */
function recordAttempts(client) {
    ;
    client.middlewareStack.add(next => async (args) => {
        try {
            return await next(args);
        }
        catch (error) {
            const store = attempts.getStore();
            // An abort is call()'s own doing, not what the attempts met.
            if (store && awsErrorName(error) !== 'AbortError')
                store.lastError = error;
            throw error;
        }
    }, 
    // Inside the retry middleware (finalizeRequest, high) and outside the
    // deserializer, which turns an error response into the error thrown.
    { step: 'finalizeRequest', priority: 'low', name: 'recordAttempts' });
    return client;
}
/** A call that got no complete answer within its limit. */
class CallTimeoutError extends errors/* ActionError */.lZ {
    call;
    timeoutMs;
    lastAttempt;
    constructor(call, timeoutMs, 
    /** What the last failed attempt threw, if an attempt failed before time ran out. */
    lastAttempt) {
        super(`${call} got no answer within ${Math.round(timeoutMs / 1000)} s (\`aws-timeout\`), retries included${lastAttempt === undefined ? '' : `; the last attempt met ${describeAwsError(lastAttempt)}`}.`);
        this.call = call;
        this.timeoutMs = timeoutMs;
        this.lastAttempt = lastAttempt;
        this.name = 'CallTimeoutError';
    }
}
/**
 * Exponential backoff with jitter: a random delay in [half, full] of
 * `baseMs` doubled `step` times, capped at `capMs`.
 */
function backoffMs(step, baseMs, capMs) {
    const ceiling = Math.min(baseMs * 2 ** step, capMs);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
/**
 * Whether a failed call may succeed when sent again as it was: throttled,
 * a 5xx, or no answer (a reset, refused or timed-out connection).
 */
function isTransient(error) {
    if (error instanceof CallTimeoutError || error instanceof cancel/* CancelledError */.cc)
        return false;
    if (isThrottling(error))
        return true;
    const status = httpStatus(error);
    if (status !== undefined)
        return status >= 500;
    const code = error?.code;
    return (['TimeoutError', 'RequestTimeout', 'NetworkingError'].includes(awsErrorName(error) ?? '') ||
        (typeof code === 'string' &&
            ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code)));
}
/**
 * Runs one AWS call (`send` gets the abort signal to pass to the SDK) within
 * `timeoutMs`, retries included; with `repeat`, sends it again after a
 * transient failure until then. A call past its limit throws
 * CallTimeoutError naming `what`; a call still in flight when the grace
 * period of a cancellation ends throws CancelledError.
 */
async function call(what, timeoutMs, send, options = {}) {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const onCancel = () => deadline.abort();
    // Started after the grace period of a cancellation: aborted at once (an
    // abort listener added after the event would never fire).
    if (cancel/* cancellation */.WN.signal.aborted)
        deadline.abort();
    else
        cancel/* cancellation */.WN.signal.addEventListener('abort', onCancel);
    const record = {};
    const ended = (error) => {
        if (cancel/* cancellation */.WN.signal.aborted)
            return new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested ?? 'signal');
        const last = record.lastError;
        return new CallTimeoutError(what, timeoutMs, last === error ? undefined : last);
    };
    try {
        for (let repeat = 0;; repeat++) {
            try {
                return await attempts.run(record, async () => await send(deadline.signal));
            }
            catch (error) {
                if (deadline.signal.aborted)
                    throw ended(error);
                if (!options.repeat || !isTransient(error))
                    throw error;
                record.lastError = error;
                // Between repeats: 0.5 s doubling to 8 s.
                await (0,cancel/* pause */.v7)(backoffMs(repeat, 500, 8000), deadline.signal);
                if (deadline.signal.aborted)
                    throw ended();
            }
        }
    }
    finally {
        clearTimeout(timer);
        cancel/* cancellation */.WN.signal.removeEventListener('abort', onCancel);
    }
}
/**
 * The request reached AWS and was refused with an error of its own (throttling,
 * a conflict, validation): nothing was done. Anything else (no answer, a
 * dropped connection, a 5xx) leaves it open whether the call took effect.
 */
function wasRefused(error) {
    const status = httpStatus(error);
    return status !== undefined && status >= 400 && status < 500;
}
function shape(error) {
    return typeof error === 'object' && error !== null ? error : {};
}
/** The AWS error code (`ResourceNotFoundException`, …), or undefined. */
function awsErrorName(error) {
    const name = shape(error).name;
    return typeof name === 'string' ? name : undefined;
}
/** The HTTP status of an AWS error, when it came with one. */
function httpStatus(error) {
    return shape(error).$metadata?.httpStatusCode;
}
function isNotFound(error) {
    return awsErrorName(error) === 'ResourceNotFoundException';
}
/** The SDK found no credentials at all (no env vars, profile, OIDC or instance role). */
function isMissingCredentials(error) {
    return awsErrorName(error) === 'CredentialsProviderError';
}
function isAccessDenied(error) {
    const name = awsErrorName(error);
    return name === 'AccessDeniedException' || name === 'AccessDenied' || httpStatus(error) === 403;
}
const THROTTLING = new Set([
    'TooManyRequestsException',
    'ThrottlingException',
    'Throttling',
    'ThrottledException',
    'RequestLimitExceeded'
]);
function isThrottling(error) {
    // A call that ran out of time while its attempts were throttled.
    if (error instanceof CallTimeoutError)
        return isThrottling(error.lastAttempt);
    const name = awsErrorName(error);
    return (name !== undefined && THROTTLING.has(name)) || httpStatus(error) === 429;
}
/** `ResourceConflictException: The operation cannot be performed at this time…` */
function describeAwsError(error) {
    const name = awsErrorName(error);
    const message = shape(error).message;
    const text = typeof message === 'string' && message !== '' ? message : String(error);
    return name && name !== 'Error' && !text.startsWith(name) ? `${name}: ${text}` : text;
}
/**
 * A failed AWS call as the user reads it: what failed, the permission it
 * needs when access was denied, what to add when there are no credentials
 * at all. A cancellation stays a cancellation.
 */
function callError(what, permission, error, noCredentials = 'Add aws-actions/configure-aws-credentials before this step.') {
    if (error instanceof cancel/* CancelledError */.cc)
        return error;
    if (isMissingCredentials(error)) {
        return new errors/* ActionError */.lZ(`${what} failed: no AWS credentials found. ${noCredentials}`);
    }
    const hint = isAccessDenied(error) ? ` (the credentials need ${permission})` : '';
    return new errors/* ActionError */.lZ(`${what} failed${hint}: ${describeAwsError(error)}`);
}

;// CONCATENATED MODULE: ./src/aws/alias.ts
/**
 * Aliases in `functions` (`orders-api:live`): the alias serves traffic from a
 * published version, so once $LATEST has the layer, a version is published
 * from exactly that configuration (PublishVersion guarded by $LATEST's
 * RevisionId), waited for until it is Active (its SnapStart snapshot ready),
 * and the alias moves to it (UpdateAlias guarded by the alias's RevisionId).
 * An alias whose version already carries a newer version of the layer is
 * left alone, as $LATEST is; a weighted alias is refused unless
 * `weighted-aliases: replace`.
 */






const UPDATE_ATTEMPTS = 5;
const PUBLISH_WAIT_MS = 15 * 60 * 1000;
const POLL_MS = 2000;
function weightsText(weights, version) {
    const extra = Object.entries(weights);
    const rest = 1 - extra.reduce((sum, [, w]) => sum + w, 0);
    return [
        `${Math.round(rest * 100)}% to version ${version}`,
        ...extra.map(([v, w]) => `${Math.round(w * 100)}% to version ${v}`)
    ].join(', ');
}
/** The refusal of a weighted alias, naming its weights. */
function weightedAliasProblem(state) {
    if (!state.weights || Object.keys(state.weights).length === 0)
        return undefined;
    return `alias ${state.name} routes ${weightsText(state.weights, state.version)} (weighted routing: a gradual deployment in progress); it is not overwritten. Finish or undo that deployment, or set \`weighted-aliases: replace\` to point the alias at the new version alone`;
}
/** The configuration of a published version of the function. */
async function readVersion(client, functionArn, version, limits) {
    return await call(`GetFunctionConfiguration (${functionArn}:${version})`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* GetFunctionConfigurationCommand */.qA6({ FunctionName: functionArn, Qualifier: version }), { abortSignal }), { repeat: true });
}
/** Our layer's version on a published version of the function. */
async function layerOnVersion(client, functionArn, version, ourLayerArn, limits) {
    const config = await readVersion(client, functionArn, version, limits);
    return (config.Layers ?? []).map(l => l.Arn ?? '').find(arn => (0,aws_inputs/* layerArnOf */.s3)(arn) === ourLayerArn);
}
/**
 * Reads an alias and the layer its version carries. Throws a message for
 * the user when it does not exist or cannot be read.
 */
async function readAlias(client, functionArn, name, ourLayerArn, limits) {
    let alias;
    try {
        alias = await call(`GetAlias (${functionArn}:${name})`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* GetAliasCommand */.MES({ FunctionName: functionArn, Name: name }), {
            abortSignal
        }), { repeat: true });
    }
    catch (error) {
        if (isNotFound(error)) {
            throw new Error(`has no alias ${name}: create it (aws lambda create-alias) or drop ":${name}" to update $LATEST only`);
        }
        if (isAccessDenied(error)) {
            throw new Error(`reading alias ${name} was denied; the credentials need lambda:GetAlias, lambda:PublishVersion and lambda:UpdateAlias on it (${describeAwsError(error)})`);
        }
        throw error;
    }
    const version = alias.FunctionVersion ?? '$LATEST';
    const weights = alias.RoutingConfig?.AdditionalVersionWeights;
    const layerVersionArn = version === '$LATEST'
        ? undefined
        : await layerOnVersion(client, functionArn, version, ourLayerArn, limits);
    return {
        name,
        aliasArn: alias.AliasArn ?? `${functionArn}:${name}`,
        version,
        ...(alias.RevisionId ? { revisionId: alias.RevisionId } : {}),
        ...(weights && Object.keys(weights).length > 0 ? { weights } : {}),
        ...(layerVersionArn ? { layerVersionArn } : {})
    };
}
/** Waits until a new version is Active (with SnapStart: its snapshot is ready). */
async function waitForVersion(client, functionArn, version, limits) {
    const deadline = Date.now() + PUBLISH_WAIT_MS;
    for (;;) {
        const config = await readVersion(client, functionArn, version, limits);
        if (config.State === 'Failed') {
            throw new Error(`version ${version} failed to become active: ${config.StateReasonCode ?? ''} ${config.StateReason ?? ''}`.trim());
        }
        if (config.State === undefined || config.State === 'Active')
            return config;
        if (Date.now() > deadline) {
            throw new Error(`version ${version} was still ${config.State} after ${PUBLISH_WAIT_MS / 60000} minutes${config.SnapStart?.ApplyOn === 'PublishedVersions' ? ' (its SnapStart snapshot is not ready)' : ''}`);
        }
        await cancel/* cancellation */.WN.sleep(POLL_MS);
        cancel/* cancellation */.WN.throwIfCancelled();
    }
}
function versionNumber(version) {
    return /^\d+$/.test(version) ? Number(version) : 0;
}
/**
 * Publishes a version from $LATEST (guarded by `latestRevisionId`, the
 * RevisionId read once $LATEST had the layer) and moves the alias to it.
 * `start` is the alias as the preflight read it; it is read again before
 * anything is done.
 */
async function moveAlias(client, functionArn, start, layerVersionArn, options) {
    const { limits } = options;
    const ours = (0,aws_inputs/* layerArnOf */.s3)(layerVersionArn);
    const ourVersion = (0,aws_inputs/* layerVersionOf */.Rb)(layerVersionArn) ?? 0;
    const label = `${functionArn.split(':').at(-1) ?? functionArn}:${start.name}`;
    const before = {
        version: start.version,
        ...(start.layerVersionArn ? { layerVersionArn: start.layerVersionArn } : {})
    };
    const base = { name: start.name, aliasArn: start.aliasArn, before };
    let published;
    const failed = (error) => {
        const where = published
            ? `version ${published.version} was published with ${layerVersionArn}, but the alias still points at version ${before.version}: ${error}`
            : `the alias still points at version ${before.version}: ${error}`;
        core/* info */.pq(`${label}: ${where}`);
        return { ...base, status: 'failed', error: `${label}: ${where}` };
    };
    try {
        for (let attempt = 1;; attempt++) {
            if (cancel/* cancellation */.WN.requested) {
                return {
                    ...base,
                    status: 'not-started',
                    error: `${label}: not moved: the run was cancelled`
                };
            }
            const alias = await readAlias(client, functionArn, start.name, ours, limits);
            const present = alias.layerVersionArn ? ((0,aws_inputs/* layerVersionOf */.Rb)(alias.layerVersionArn) ?? 0) : 0;
            if (alias.layerVersionArn === layerVersionArn && !alias.weights) {
                core/* info */.pq(`${label}: version ${alias.version} already has ${layerVersionArn}`);
                return { ...base, status: 'unchanged' };
            }
            if (present > ourVersion && !options.allowDowngrade) {
                const message = `${label}: version ${alias.version} has ${alias.layerVersionArn}, newer than ${layerVersionArn}: left alone (set \`allow-downgrade: true\` to roll back on purpose)`;
                core/* info */.pq(message);
                return { ...base, status: 'newer-present', error: message };
            }
            if (options.weightedAliases === 'refuse') {
                const problem = weightedAliasProblem(alias);
                if (problem)
                    return failed(problem);
            }
            if (!published) {
                // Not repeated by the action; the SDK's own retries are safe: Lambda
                // answers a publish of an unchanged $LATEST with the version it has.
                const answer = await call(`PublishVersion (${label})`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* PublishVersionCommand */.D3m({
                    FunctionName: functionArn,
                    ...(options.latestRevisionId ? { RevisionId: options.latestRevisionId } : {}),
                    Description: `With layer ${layerVersionArn.split(':').slice(-2).join(':')}`
                }), { abortSignal }));
                const version = answer.Version ?? '';
                const active = await waitForVersion(client, functionArn, version, limits);
                const carried = (active.Layers ?? []).some(l => l.Arn === layerVersionArn);
                const newer = (active.Layers ?? []).some(l => l.Arn !== undefined &&
                    (0,aws_inputs/* layerArnOf */.s3)(l.Arn) === ours &&
                    ((0,aws_inputs/* layerVersionOf */.Rb)(l.Arn) ?? 0) > ourVersion);
                if (!carried && newer && !options.allowDowngrade) {
                    // Another run attached a newer version meanwhile: its run moves the alias.
                    const message = `${label}: left alone: $LATEST had a newer version of the layer than ${layerVersionArn} when version ${version} was published (another run attached it)`;
                    core/* info */.pq(message);
                    return { ...base, status: 'newer-present', error: message };
                }
                if (!carried) {
                    return failed(`the version published from $LATEST (${version}) does not carry ${layerVersionArn}: $LATEST changed meanwhile`);
                }
                const snapStart = active.SnapStart?.ApplyOn === 'PublishedVersions'
                    ? `SnapStart ${active.SnapStart.OptimizationStatus === 'On' ? 'snapshot ready' : (active.SnapStart.OptimizationStatus ?? 'state unknown')}`
                    : undefined;
                published = {
                    version,
                    versionArn: answer.FunctionArn ?? `${functionArn}:${version}`,
                    ...(snapStart ? { snapStart } : {})
                };
                core/* info */.pq(`${label}: published version ${version} with ${layerVersionArn}${snapStart ? ` (${snapStart})` : ''}`);
            }
            // Never backwards: a version published after ours (by another run or
            // another deployment) stays where it is.
            if (versionNumber(alias.version) > versionNumber(published.version)) {
                const message = `${label}: points at version ${alias.version}, published after version ${published.version}: left alone`;
                core/* info */.pq(message);
                return { ...base, status: 'newer-present', error: message };
            }
            try {
                await call(`UpdateAlias (${label})`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* UpdateAliasCommand */.lqC({
                    FunctionName: functionArn,
                    Name: start.name,
                    FunctionVersion: published?.version,
                    ...(alias.revisionId ? { RevisionId: alias.revisionId } : {}),
                    ...(alias.weights ? { RoutingConfig: { AdditionalVersionWeights: {} } } : {})
                }), { abortSignal }), { repeat: true });
            }
            catch (error) {
                // Moved by someone else since it was read: read it again and decide again.
                if (awsErrorName(error) === 'PreconditionFailedException' && attempt < UPDATE_ATTEMPTS) {
                    continue;
                }
                throw error;
            }
            core/* info */.pq(`${label}: moved from version ${alias.version} to ${published.version}${alias.weights ? ' (its weighted routing removed)' : ''}`);
            return {
                ...base,
                status: 'moved',
                after: { ...published, layerVersionArn }
            };
        }
    }
    catch (error) {
        if (error instanceof cancel/* CancelledError */.cc) {
            return published
                ? failed('the run was cancelled before the alias moved')
                : { ...base, status: 'not-started', error: `${label}: not moved: the run was cancelled` };
        }
        const hint = isAccessDenied(error)
            ? ' (the credentials need lambda:PublishVersion and lambda:UpdateAlias on the function)'
            : '';
        return failed(`${(0,errors/* errorMessage */.gJ)(error)}${hint}`);
    }
}

;// CONCATENATED MODULE: ./src/aws/pace.ts
/**
 * The pace of one region's function updates: how many are in flight
 * (adaptive concurrency) and a pause that every update of the region
 * respects after throttling (one backoff for the region, not one per
 * function). Lambda's control plane allows about 15 requests per second
 * per account and region (GetFunction excepted), shared by every caller:
 * the run starts at `initial` updates in flight, takes a quarter off on
 * throttling (at most once every 2 s, as throttled answers to calls already
 * in flight tell nothing new), and adds one back after each run of
 * successes half as long as the limit, up to `max`. The region's pause after a throttled call
 * doubles with each throttled call in a row (0.25 s up to 8 s) and starts
 * over after a success.
 */


/** The limit is lowered at most this often. */
const DECREASE_EVERY_MS = 2000;
const PAUSE_BASE_MS = 250;
const PAUSE_CAP_MS = 8000;
class RegionPace {
    max;
    sleep;
    limit;
    active = 0;
    waiting = [];
    pausedUntil = 0;
    successes = 0;
    inARow = 0;
    lastDecrease = 0;
    figures;
    constructor(initial, max, sleep = async (ms) => await cancel/* cancellation */.WN.sleep(ms)) {
        this.max = max;
        this.sleep = sleep;
        this.limit = Math.max(1, Math.min(initial, max));
        this.figures = { peak: 0, throttles: 0, limit: this.limit };
    }
    /** Runs `task` once fewer than the limit are in flight. */
    async run(task) {
        while (this.active >= this.limit) {
            await new Promise(resolve => this.waiting.push(resolve));
        }
        this.active++;
        this.figures.peak = Math.max(this.figures.peak, this.active);
        try {
            return await task();
        }
        finally {
            this.active--;
            this.wake();
        }
    }
    /** Waits out the region's pause, if a throttled call set one. */
    async ready() {
        const wait = this.pausedUntil - Date.now();
        if (wait > 0 && !cancel/* cancellation */.WN.requested)
            await this.sleep(wait);
    }
    /** A call was throttled: fewer in flight, and the whole region pauses. */
    throttled() {
        this.figures.throttles++;
        const now = Date.now();
        if (now - this.lastDecrease >= DECREASE_EVERY_MS) {
            this.limit = Math.max(1, Math.floor((this.limit * 3) / 4));
            this.lastDecrease = now;
        }
        this.successes = 0;
        this.pausedUntil = Math.max(this.pausedUntil, now + backoffMs(this.inARow, PAUSE_BASE_MS, PAUSE_CAP_MS));
        this.inARow++;
        this.figures.limit = this.limit;
    }
    /** A call succeeded: after half as many successes as the limit, one more in flight. */
    succeeded() {
        this.inARow = 0;
        this.successes++;
        if (this.successes >= Math.ceil(this.limit / 2) && this.limit < this.max) {
            this.limit++;
            this.successes = 0;
            this.figures.limit = this.limit;
            this.wake();
        }
    }
    get stats() {
        return { ...this.figures };
    }
    wake() {
        // Every waiter re-checks the limit; those over it wait again.
        for (const resolve of this.waiting.splice(0))
            resolve();
    }
}

;// CONCATENATED MODULE: ./src/aws/attach.ts
/**
 * Attaching a layer version to functions: a preflight that reads every function
 * before anything is published, and the update itself, which swaps our layer in
 * each function's Layers list without touching the others.
 */











const DEFAULT_CONCURRENCY = 4;
/** The phase stops starting updates after this many times the limit of one call. */
const ATTACH_LIMIT_CALLS = 10;
/** Updates in flight per region at first, and at most (see pace.ts). */
const ATTACH_CONCURRENCY = 8;
const ATTACH_MAX_CONCURRENCY = 16;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_WAIT_SECONDS = 300;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 20_000;
const POLL_FIRST_MS = 1000;
const POLL_CAP_MS = 10_000;
const GET_PERMISSION = 'lambda:GetFunctionConfiguration';
const UPDATE_PERMISSION = 'lambda:UpdateFunctionConfiguration';
/**
 * The function's new Layers list: our entry (same layer ARN, any version) is
 * replaced in place, every other layer keeps its position, and ours is appended
 * when absent. Should two versions of ours be present, the first position is
 * kept and the other dropped (Lambda rejects two versions of one layer).
 */
function newLayerList(currentLayers, layerVersionArn) {
    const ours = (0,aws_inputs/* layerArnOf */.s3)(layerVersionArn);
    const result = [];
    let placed = false;
    for (const arn of currentLayers) {
        if ((0,aws_inputs/* layerArnOf */.s3)(arn) !== ours) {
            result.push(arn);
        }
        else if (!placed) {
            result.push(layerVersionArn);
            placed = true;
        }
    }
    if (!placed)
        result.push(layerVersionArn);
    return result;
}
function layersOf(config) {
    return (config.Layers ?? []).flatMap(layer => (layer.Arn ? [layer.Arn] : []));
}
async function checkFunction(client, ref, layer, request) {
    const quoted = `"${ref.input}"`;
    let config;
    try {
        config = await call(`GetFunctionConfiguration (${ref.input})`, (request.limits ?? DEFAULT_LIMITS).callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetFunctionConfigurationCommand */.qA6({ FunctionName: ref.functionName }), {
            abortSignal
        }), { repeat: true });
    }
    catch (error) {
        // Throttled, a 5xx, no answer within aws-timeout: a fault of the moment,
        // not of the input; the run fails with it as it is.
        if (error instanceof CallTimeoutError ||
            error instanceof cancel/* CancelledError */.cc ||
            isTransient(error)) {
            throw error;
        }
        if (isNotFound(error)) {
            return { problem: `${quoted}: no such function in ${ref.arn?.region ?? request.region}` };
        }
        if (isAccessDenied(error)) {
            return {
                problem: `${quoted}: access denied; the credentials need ${GET_PERMISSION} (and ${UPDATE_PERMISSION}) on it (${describeAwsError(error)})`
            };
        }
        return { problem: `${quoted}: reading its configuration failed: ${describeAwsError(error)}` };
    }
    const functionArn = config.FunctionArn ?? '';
    const location = (0,aws_inputs/* arnLocation */.T2)(functionArn);
    if (!location) {
        return { problem: `${quoted}: GetFunctionConfiguration returned no function ARN` };
    }
    const functionName = config.FunctionName ?? ref.name;
    const ours = (0,aws_inputs/* layerArnFor */.S)(layer, location);
    const currentLayers = layersOf(config);
    const currentVersionArn = currentLayers.find(arn => (0,aws_inputs/* layerArnOf */.s3)(arn) === ours);
    if (config.PackageType === 'Image') {
        return {
            problem: `${quoted}: is a container image function, and Lambda does not support layers for those (install the packages into the image instead)`
        };
    }
    const others = currentLayers.filter(arn => (0,aws_inputs/* layerArnOf */.s3)(arn) !== ours);
    if (others.length + 1 > runtimes/* LIMITS */.b1.layersPerFunction) {
        return {
            problem: `${quoted}: already has ${others.length} other layers (${others.join(', ')}); Lambda allows ${runtimes/* LIMITS */.b1.layersPerFunction} per function, so ours cannot be added`
        };
    }
    const warnings = [];
    const mismatch = {};
    if (config.Runtime && !request.runtimes.includes(config.Runtime)) {
        mismatch.runtime = config.Runtime;
        warnings.push({
            kind: 'runtime',
            text: `${functionName} runs ${config.Runtime}, which is not among the layer's compatible runtimes (${request.runtimes.join(', ')}); its packages may fail to import`
        });
    }
    const architecture = config.Architectures?.[0] ?? 'x86_64';
    if (!request.architectures.includes(architecture)) {
        mismatch.architecture = architecture;
        warnings.push({
            kind: 'architecture',
            text: `${functionName} runs on ${architecture}, which is not among the layer's compatible architectures (${request.architectures.join(', ')}); compiled packages will fail to load`
        });
    }
    core/* info */.pq(`${functionName}: ${config.Runtime ?? 'no runtime'} on ${architecture}, layers: ${(0,format/* listOrNone */.sQ)(currentLayers)}`);
    const aliases = [];
    if (ref.alias) {
        let alias;
        try {
            alias = await readAlias(client, functionArn, ref.alias, ours, request.limits ?? DEFAULT_LIMITS);
        }
        catch (error) {
            if (error instanceof CallTimeoutError || error instanceof cancel/* CancelledError */.cc)
                throw error;
            if (isTransient(error))
                throw error;
            return { problem: `${quoted}: ${(0,errors/* errorMessage */.gJ)(error)}` };
        }
        const weighted = (request.weightedAliases ?? 'refuse') === 'refuse' && weightedAliasProblem(alias);
        if (weighted)
            return { problem: `${quoted}: ${weighted}` };
        core/* info */.pq(`${functionName}:${alias.name}: version ${alias.version}, layer ${alias.layerVersionArn ?? 'none of this one'}`);
        aliases.push(alias);
    }
    return {
        plan: {
            input: ref.input,
            functionName,
            functionArn,
            currentLayers,
            ...(currentVersionArn ? { currentVersionArn } : {}),
            warnings,
            ...(mismatch.runtime || mismatch.architecture ? { mismatch } : {}),
            ...(aliases.length > 0 ? { aliases } : {}),
            ...(ref.alias ? { latestNamed: false } : {})
        }
    };
}
/**
 * The preflight, run before anything is published: reads every function and
 * checks that the layer can be attached to it. Collects every problem (bad entry,
 * function not found, access denied, container image, too many layers) and throws
 * ONE ActionError listing them all. Entries naming the same function are merged.
 */
async function planFunctions(client, request) {
    const layer = typeof request.layerName === 'string'
        ? (0,aws_inputs/* parseLayerName */.iL)(request.layerName, request.region)
        : request.layerName;
    const problems = [];
    const refs = [];
    const seen = new Set();
    for (const entry of request.functions) {
        const input = typeof entry === 'string' ? entry : entry.input;
        if (seen.has(input))
            continue;
        seen.add(input);
        try {
            refs.push(typeof entry === 'string' ? (0,aws_inputs/* parseFunctionName */.RJ)(entry, request.region) : entry);
        }
        catch (error) {
            problems.push((0,errors/* errorMessage */.gJ)(error));
        }
    }
    const checked = await (0,concurrency/* mapConcurrent */._)(refs, request.concurrency ?? DEFAULT_CONCURRENCY, async (ref) => await checkFunction(client, ref, layer, request));
    const plans = [];
    const byArn = new Map();
    for (const result of checked) {
        if (result.problem !== undefined) {
            problems.push(result.problem);
            continue;
        }
        const { plan } = result;
        const first = byArn.get(plan.functionArn);
        // Entries for other aliases of one function: one update of $LATEST, each alias moved.
        const newAliases = (plan.aliases ?? []).filter(a => !first?.aliases?.some(b => b.name === a.name));
        const latestNamed = (p) => p.latestNamed !== false;
        if (first && (newAliases.length > 0 || (latestNamed(plan) && !latestNamed(first)))) {
            first.aliases = [...(first.aliases ?? []), ...newAliases];
            first.latestNamed = latestNamed(first) || latestNamed(plan);
            continue;
        }
        if (first) {
            first.warnings.push({
                kind: 'duplicate',
                text: `"${plan.input}" names the same function as "${first.input}"; it is updated once`
            });
            continue;
        }
        byArn.set(plan.functionArn, plan);
        plans.push(plan);
    }
    if (problems.length > 0) {
        const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
        throw new errors/* ActionError */.lZ(`Cannot attach the layer: ${count} with the functions input:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
    }
    return plans;
}
function isIdle(config) {
    return config.LastUpdateStatus !== 'InProgress' && config.State !== 'Pending';
}
/**
 * Reads the function until no update is in progress and returns that fresh
 * configuration. Polls GetFunctionConfiguration (the permission the preflight
 * already needs) rather than the SDK's waitUntilFunctionUpdatedV2, which polls
 * GetFunction: that needs lambda:GetFunction, retries an access denial silently
 * until it times out, and its failure message embeds the response, including the
 * presigned URL of the function's code.
 */
async function readWhenIdle(client, functionArn, settings, waitingFor, 
/** Known to be busy (the update's own answer said so): wait before the first read. */
busy = false) {
    let waited = 0;
    if (busy) {
        await settings.sleep(POLL_FIRST_MS);
        waited += POLL_FIRST_MS;
        if (cancel/* cancellation */.WN.requested)
            throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested);
    }
    let throttled;
    let throttledSince = 0;
    let throttledAt = 0;
    for (let poll = 0;; poll++) {
        let config;
        try {
            config = await call('GetFunctionConfiguration', settings.limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetFunctionConfigurationCommand */.qA6({ FunctionName: functionArn }), {
                abortSignal
            }));
            throttled = undefined;
        }
        catch (error) {
            // Polled anyway: a throttled read, a 5xx or a dropped answer is read again at the next poll.
            if (!isThrottling(error) && !isTransient(error)) {
                if (error instanceof cancel/* CancelledError */.cc)
                    throw error;
                const hint = isAccessDenied(error) ? ` (the credentials need ${GET_PERMISSION})` : '';
                throw new Error(`reading its configuration failed${hint}: ${describeAwsError(error)}`);
            }
            if (!throttled) {
                throttledSince = waited;
                throttledAt = Date.now();
            }
            throttled = error;
            if (isThrottling(error))
                settings.pace.throttled();
            // Throttled for longer than a call may take: say so rather than wait on.
            const throttledFor = Math.max(waited - throttledSince, Date.now() - throttledAt);
            if (throttledFor >= settings.limits.callTimeoutMs) {
                throw new Error(`reading its configuration ${isThrottling(error) ? 'was throttled' : 'kept failing'} for ${Math.round(throttledFor / 1000)} s (${describeAwsError(error)})`);
            }
        }
        if (config && isIdle(config))
            return config;
        const delay = Math.min(POLL_FIRST_MS * 2 ** poll, POLL_CAP_MS);
        if (waited + delay > settings.maxWaitMs) {
            throw new Error(throttled
                ? `reading its configuration was throttled for ${settings.maxWaitMs / 1000} s (${describeAwsError(throttled)})`
                : `${waitingFor} was still in progress after ${settings.maxWaitMs / 1000} s`);
        }
        await settings.sleep(delay);
        waited += delay;
        // Cancelled while waiting: the caller reports what it knows now.
        if (cancel/* cancellation */.WN.requested)
            throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested);
    }
}
function sameList(a, b) {
    return a.length === b.length && a.every((item, index) => item === b[index]);
}
async function attachOne(client, plan, layerVersionArn, settings) {
    const label = plan.functionName;
    const base = { functionArn: plan.functionArn, input: plan.input };
    // What is known of its version of our layer: the preflight's reading until a fresher one.
    let previousVersionArn = plan.currentVersionArn;
    const result = (status, error) => ({
        ...base,
        status,
        ...(previousVersionArn ? { previousVersionArn } : {}),
        ...(error ? { error: `${label}: ${error}` } : {})
    });
    const failed = (error) => {
        core/* info */.pq(`${label}: failed: ${error}`);
        return result('failed', error);
    };
    const unchanged = () => {
        core/* info */.pq(`${label}: already has ${layerVersionArn}`);
        previousVersionArn = layerVersionArn;
        return result('unchanged');
    };
    const outOfTime = () => {
        core/* info */.pq(`${label}: not changed (the attach phase reached its time limit)`);
        return result('out-of-time', 'not changed: the attach phase reached its time limit before its update began');
    };
    const notStarted = () => {
        core/* info */.pq(`${label}: not changed (the run was cancelled before its update began)`);
        return result('not-started', 'not changed: the run was cancelled before its update began');
    };
    if (sameList(plan.currentLayers, newLayerList(plan.currentLayers, layerVersionArn))) {
        return unchanged();
    }
    const ours = (0,aws_inputs/* layerArnOf */.s3)(layerVersionArn);
    const ourVersion = (0,aws_inputs/* layerVersionOf */.Rb)(layerVersionArn) ?? 0;
    let lastError;
    for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
        if (cancel/* cancellation */.WN.requested)
            return notStarted();
        if (Date.now() > settings.deadline)
            return outOfTime();
        // Read again: the list may have changed since the preflight or the last attempt.
        let config;
        try {
            config = await readWhenIdle(client, plan.functionArn, settings, 'an earlier update');
        }
        catch (error) {
            if (error instanceof cancel/* CancelledError */.cc)
                return notStarted();
            return failed((0,errors/* errorMessage */.gJ)(error));
        }
        const current = layersOf(config);
        previousVersionArn = current.find(arn => (0,aws_inputs/* layerArnOf */.s3)(arn) === ours);
        const present = previousVersionArn ? ((0,aws_inputs/* layerVersionOf */.Rb)(previousVersionArn) ?? 0) : 0;
        if (present > ourVersion && !settings.allowDowngrade) {
            const message = `has ${previousVersionArn}, newer than ${layerVersionArn}: left alone (another run attached it; set \`allow-downgrade: true\` to roll back on purpose)`;
            // Warned about by the caller, together with the others left alone.
            core/* info */.pq(`${label} ${message}`);
            return result('newer-present', message);
        }
        const layers = newLayerList(current, layerVersionArn);
        if (sameList(current, layers))
            return unchanged();
        if (layers.length > runtimes/* LIMITS */.b1.layersPerFunction) {
            return failed(`its layers changed since the preflight and it now has ${current.length} (${current.join(', ')}); Lambda allows ${runtimes/* LIMITS */.b1.layersPerFunction} per function`);
        }
        await settings.pace.ready();
        if (cancel/* cancellation */.WN.requested)
            return notStarted();
        if (Date.now() > settings.deadline)
            return outOfTime();
        let updated;
        try {
            updated = await call(`UpdateFunctionConfiguration (${label})`, settings.limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* UpdateFunctionConfigurationCommand */.Zlw({
                FunctionName: plan.functionArn,
                Layers: layers,
                ...(config.RevisionId ? { RevisionId: config.RevisionId } : {})
            }), { abortSignal }));
        }
        catch (error) {
            lastError = error;
            if (error instanceof cancel/* CancelledError */.cc) {
                return result('unknown', `its update to ${layerVersionArn} was in flight when the run was cancelled: it may or may not have been applied`);
            }
            const name = awsErrorName(error);
            if (name === 'PreconditionFailedException') {
                core/* info */.pq(`${label}: changed by someone else since it was read; reading it again`);
                continue;
            }
            // A 5xx or a dropped answer too: the RevisionId makes sending it again safe
            // (an update that did apply is then refused with 412, and read again).
            // Throttling slows the whole region down (one pause for all its
            // updates), and does not use up this function's attempts: the
            // phase's time limit bounds it.
            if (isThrottling(error)) {
                settings.pace.throttled();
                attempt--;
                continue;
            }
            if (name === 'ResourceConflictException' ||
                (config.RevisionId !== undefined && isTransient(error))) {
                if (attempt < settings.maxAttempts) {
                    const delay = backoffMs(attempt - 1, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
                    core/* info */.pq(`${label}: ${name ?? 'throttled'}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt} of ${settings.maxAttempts})`);
                    await settings.sleep(delay);
                }
                continue;
            }
            if (error instanceof CallTimeoutError) {
                // The RevisionId makes a repeat safe, but whether this one applied is unknown.
                return result('unknown', `${(0,errors/* errorMessage */.gJ)(error)} It may or may not have been applied; re-run the workflow to converge.`);
            }
            const hint = isAccessDenied(error) ? ` (the credentials need ${UPDATE_PERMISSION})` : '';
            return failed(`UpdateFunctionConfiguration failed${hint}: ${describeAwsError(error)}`);
        }
        settings.pace.succeeded();
        let final = updated;
        if (!isIdle(updated)) {
            try {
                final = await readWhenIdle(client, plan.functionArn, settings, 'the layer update', true);
            }
            catch (error) {
                const why = error instanceof cancel/* CancelledError */.cc ? 'the run was cancelled' : (0,errors/* errorMessage */.gJ)(error);
                return result('unknown', `Lambda accepted the update to ${layerVersionArn}, but its outcome could not be read (${why})`);
            }
        }
        if (final.LastUpdateStatus === 'Failed') {
            const code = final.LastUpdateStatusReasonCode ? ` (${final.LastUpdateStatusReasonCode})` : '';
            return failed(`Lambda could not apply the update: ${final.LastUpdateStatusReason ?? 'no reason given'}${code}`);
        }
        core/* info */.pq(`${label}: attached ${layerVersionArn}${previousVersionArn ? ` in place of ${previousVersionArn}` : ''}`);
        return result('updated');
    }
    return failed(`gave up after ${settings.maxAttempts} attempts: ${describeAwsError(lastError)}`);
}
const realSleep = async (ms) => await cancel/* cancellation */.WN.sleep(ms);
/**
 * Moves an alias once $LATEST has the layer: reads $LATEST again (its
 * RevisionId guards the publish), then publishes a version and moves the
 * alias (alias.ts). An alias is never moved when $LATEST was not updated.
 */
async function aliasAfterLatest(client, plan, alias, latest, layerVersionArn, settings) {
    const label = `${plan.functionName}:${alias.name}`;
    const base = {
        name: alias.name,
        aliasArn: alias.aliasArn,
        before: {
            version: alias.version,
            ...(alias.layerVersionArn ? { layerVersionArn: alias.layerVersionArn } : {})
        }
    };
    if (latest.status === 'newer-present') {
        return { ...base, status: 'newer-present', error: `${label}: left alone, as $LATEST is` };
    }
    if (latest.status === 'not-started') {
        return { ...base, status: 'not-started', error: `${label}: not moved: the run was cancelled` };
    }
    if (latest.status !== 'updated' && latest.status !== 'unchanged') {
        return {
            ...base,
            status: 'failed',
            error: `${label}: not moved (still version ${alias.version}): $LATEST could not be updated`
        };
    }
    let config;
    try {
        config = await readWhenIdle(client, plan.functionArn, settings, 'the layer update');
    }
    catch (error) {
        if (error instanceof cancel/* CancelledError */.cc) {
            return { ...base, status: 'not-started', error: `${label}: not moved: the run was cancelled` };
        }
        return {
            ...base,
            status: 'failed',
            error: `${label}: not moved (still version ${alias.version}): ${(0,errors/* errorMessage */.gJ)(error)}`
        };
    }
    if (!layersOf(config).includes(layerVersionArn)) {
        // Another run attached a newer version meanwhile: its run moves the alias.
        const present = layersOf(config).find(arn => (0,aws_inputs/* layerArnOf */.s3)(arn) === (0,aws_inputs/* layerArnOf */.s3)(layerVersionArn));
        const newer = present !== undefined &&
            ((0,aws_inputs/* layerVersionOf */.Rb)(present) ?? 0) > ((0,aws_inputs/* layerVersionOf */.Rb)(layerVersionArn) ?? 0);
        if (newer && !settings.allowDowngrade) {
            return {
                ...base,
                status: 'newer-present',
                error: `${label}: left alone: $LATEST has ${present}, newer than ${layerVersionArn} (another run attached it)`
            };
        }
        return {
            ...base,
            status: 'failed',
            error: `${label}: not moved (still version ${alias.version}): $LATEST no longer has ${layerVersionArn} (changed by someone else meanwhile)`
        };
    }
    return await moveAlias(client, plan.functionArn, alias, layerVersionArn, {
        ...(config.RevisionId ? { latestRevisionId: config.RevisionId } : {}),
        allowDowngrade: settings.allowDowngrade,
        weightedAliases: settings.weightedAliases,
        limits: settings.limits
    });
}
/**
 * Attaches the layer version to every planned function, a few at a time. A
 * function already at this version is left alone, and so is one with a newer
 * version of the layer (unless `allowDowngrade`). Per-function failures do
 * not stop the others and are returned, not thrown: the caller reports them.
 * Once the run is cancelled, no new update starts.
 */
async function attachToFunctions(client, plans, layerVersionArn, options = {}) {
    if ((0,aws_inputs/* layerVersionOf */.Rb)(layerVersionArn) === undefined) {
        throw new Error(`Not a layer version ARN: ${layerVersionArn}`);
    }
    const settings = {
        pace: options.pace ??
            new RegionPace(options.concurrency ?? ATTACH_CONCURRENCY, Math.max(options.concurrency ?? 0, options.maxConcurrency ?? ATTACH_MAX_CONCURRENCY), options.sleep),
        deadline: options.deadline ??
            Date.now() + ATTACH_LIMIT_CALLS * (options.limits ?? DEFAULT_LIMITS).callTimeoutMs,
        maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
        sleep: options.sleep ?? realSleep,
        maxWaitMs: (options.waiterMaxWaitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000,
        allowDowngrade: options.allowDowngrade ?? false,
        limits: options.limits ?? DEFAULT_LIMITS
    };
    const attach = async (plan) => {
        try {
            const result = await attachOne(client, plan, layerVersionArn, settings);
            if (!plan.aliases || plan.aliases.length === 0)
                return result;
            const aliases = [];
            for (const alias of plan.aliases) {
                aliases.push(await aliasAfterLatest(client, plan, alias, result, layerVersionArn, {
                    ...settings,
                    weightedAliases: options.weightedAliases ?? 'refuse'
                }));
            }
            return { ...result, aliases };
        }
        catch (error) {
            const message = `${plan.functionName}: ${(0,errors/* errorMessage */.gJ)(error)}`;
            core/* info */.pq(`${plan.functionName}: failed: ${(0,errors/* errorMessage */.gJ)(error)}`);
            return {
                functionArn: plan.functionArn,
                input: plan.input,
                status: 'failed',
                ...(plan.currentVersionArn ? { previousVersionArn: plan.currentVersionArn } : {}),
                error: message
            };
        }
    };
    return await Promise.all(plans.map(async (plan) => await settings.pace.run(() => attach(plan))));
}
/**
 * The mismatches that would break a function rather than merely look odd: a
 * runtime the layer has no folder for (several-version layout) or no compiled
 * code for, an architecture its compiled code cannot run on. A pure-Python
 * layer in python/ works on any Python 3 runtime and architecture, so those
 * stay warnings.
 */
function breakingMismatches(plans, layer) {
    const problems = [];
    for (const plan of plans) {
        const { runtime, architecture } = plan.mismatch ?? {};
        if (runtime && runtime.startsWith('python') && (layer.compiled || layer.perVersion)) {
            const why = layer.perVersion
                ? `the layer has site-packages folders for ${layer.runtimes.join(', ')} only, so ${runtime} finds none of its packages`
                : `its compiled packages are built for ${layer.runtimes.join(', ')} and will not import on ${runtime}`;
            problems.push(`${plan.functionName} runs ${runtime}: ${why}. Add ${runtime} to \`runtimes\`, or leave the function out of \`functions\`.`);
        }
        if (architecture && layer.compiled) {
            problems.push(`${plan.functionName} runs on ${architecture}, but the layer's compiled packages are built for ${layer.architectures.join(', ')} and will not load there. Build a layer for ${architecture} (\`architectures: ${architecture}\`), or leave the function out of \`functions\`.`);
        }
    }
    return problems;
}

;// CONCATENATED MODULE: ./src/aws/code-signing.ts
/**
 * The code signing configurations of the functions a layer is attached to,
 * read in the preflight. Lambda checks every layer of a function whose
 * configuration enforces signatures (UntrustedArtifactOnDeployment
 * Enforce) and refuses one not signed by an allowed profile at
 * UpdateFunctionConfiguration, after the layer is published; so such a
 * function is refused before anything is built or published, unless
 * `signing-profile` is one of its allowed profiles. In Warn mode Lambda
 * attaches it and logs a warning: so does the action.
 */


/**
 * Reads a function's code signing configuration; `configs` shares the
 * reading of one configuration between the functions that name it.
 */
async function readCodeSigning(client, functionArn, limits, configs) {
    let arn;
    try {
        const found = await call(`GetFunctionCodeSigningConfig (${functionArn})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetFunctionCodeSigningConfigCommand */.uSr({ FunctionName: functionArn }), {
            abortSignal
        }), { repeat: true });
        arn = found?.CodeSigningConfigArn;
    }
    catch (error) {
        if (isNotFound(error))
            return { kind: 'none' };
        if (isAccessDenied(error)) {
            return { kind: 'unreadable', why: 'lambda:GetFunctionCodeSigningConfig was refused' };
        }
        throw error;
    }
    if (!arn)
        return { kind: 'none' };
    const config = arn;
    let reading = configs.get(config);
    if (!reading) {
        reading = readConfig(client, config, limits);
        configs.set(config, reading);
    }
    return await reading;
}
async function readConfig(client, arn, limits) {
    try {
        const got = await call(`GetCodeSigningConfig (${arn})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetCodeSigningConfigCommand */.UfA({ CodeSigningConfigArn: arn }), {
            abortSignal
        }), { repeat: true });
        const config = got?.CodeSigningConfig;
        return {
            kind: 'config',
            arn,
            mode: config?.CodeSigningPolicies?.UntrustedArtifactOnDeployment === 'Enforce'
                ? 'Enforce'
                : 'Warn',
            profiles: config?.AllowedPublishers?.SigningProfileVersionArns ?? []
        };
    }
    catch (error) {
        if (isAccessDenied(error)) {
            return { kind: 'unreadable', why: `lambda:GetCodeSigningConfig on ${arn} was refused` };
        }
        if (isNotFound(error))
            return { kind: 'unreadable', why: `${arn} was not found` };
        return { kind: 'unreadable', why: `GetCodeSigningConfig failed: ${describeAwsError(error)}` };
    }
}
/**
 * What the code signing of the functions means for this layer: unsigned, or
 * signed by `signedBy` (the signing-profile, as read in the function's
 * region). Refused: a function that enforces signatures and does not allow
 * the layer's signer. Warned: the same in Warn mode.
 */
function signingProblems(functions) {
    const refused = [];
    const warned = [];
    const unreadable = [];
    for (const { functionArn, signing, signedBy } of functions) {
        if (signing.kind === 'unreadable') {
            unreadable.push(`${functionArn}: ${signing.why}`);
            continue;
        }
        if (signing.kind !== 'config')
            continue;
        if (signedBy && signing.profiles.includes(signedBy.versionArn))
            continue;
        const allowed = signing.profiles.length > 0 ? signing.profiles.join(', ') : 'none listed';
        const layer = signedBy
            ? `the layer is signed by \`signing-profile\` ${signedBy.name} (${signedBy.versionArn}), which is not among them`
            : 'this layer is not signed (set `signing-profile` to one of them, with `s3-bucket`)';
        if (signing.mode === 'Enforce') {
            refused.push(`${functionArn}: its code signing configuration ${signing.arn} enforces signatures (allowed signing profiles: ${allowed}), and ${layer}, so Lambda would refuse it`);
        }
        else {
            warned.push(`${functionArn}: its code signing configuration ${signing.arn} is in Warn mode (allowed signing profiles: ${allowed}), and ${layer}; Lambda attaches it and logs a signature warning`);
        }
    }
    return { refused, warned, unreadable };
}

// EXTERNAL MODULE: ./src/checks/index.ts + 7 modules
var checks = __webpack_require__(2530);
;// CONCATENATED MODULE: ./src/aws/function-size.ts
/**
 * Whether each function still fits once the new layer is on it: Lambda
 * refuses an update when the function's code and all its layers unzip to
 * more than 262,144,000 bytes. The preflight reads the unzipped size of each
 * function's code and of each of its other layers from the zips' central
 * directories only (HTTP range requests on the code locations Lambda
 * gives), before anything is built; the check itself runs once the new
 * layer's size is known, before publishing.
 */





const END_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_RECORD = 22;
const ZIP64_LOCATOR = 20;
const CENTRAL_HEADER = 46;
const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;
/** The end record plus the longest comment. */
const TAIL = END_RECORD + MAX_16;
/** A central directory larger than this is not read (about 3 million entries). */
const MAX_DIRECTORY = 256 * 1024 * 1024;
/** Finds the end record in `tail` (the last bytes of a file of `fileSize`). */
function findDirectory(tail, fileSize) {
    const tailStart = fileSize - tail.length;
    for (let i = tail.length - END_RECORD; i >= 0; i--) {
        if (tail.readUInt32LE(i) !== END_SIGNATURE)
            continue;
        const count = tail.readUInt16LE(i + 10);
        const size = tail.readUInt32LE(i + 12);
        const offset = tail.readUInt32LE(i + 16);
        if (count !== MAX_16 && size !== MAX_32 && offset !== MAX_32)
            return { offset, size, count };
        const locator = i - ZIP64_LOCATOR;
        if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE) {
            throw new Error('a zip64 archive without its zip64 locator');
        }
        const zip64EndAt = Number(tail.readBigUInt64LE(locator + 8));
        if (zip64EndAt >= tailStart && zip64EndAt + 56 <= fileSize) {
            return zip64End(tail.subarray(zip64EndAt - tailStart));
        }
        return { offset: 0, size: 0, count: 0, zip64EndAt };
    }
    throw new Error('not a zip file (no end of central directory record)');
}
/** Reads the zip64 end record. */
function zip64End(record) {
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_END_SIGNATURE) {
        throw new Error('a broken zip64 end record');
    }
    return {
        count: Number(record.readBigUInt64LE(32)),
        size: Number(record.readBigUInt64LE(40)),
        offset: Number(record.readBigUInt64LE(48))
    };
}
/** The sum of the uncompressed sizes of the entries of a central directory. */
function unzippedSizeOf(directory, count) {
    let total = 0;
    let at = 0;
    for (let i = 0; i < count; i++) {
        if (at + CENTRAL_HEADER > directory.length ||
            directory.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
            throw new Error(`a broken central directory (entry ${i + 1} of ${count})`);
        }
        let size = directory.readUInt32LE(at + 24);
        const nameLength = directory.readUInt16LE(at + 28);
        const extraLength = directory.readUInt16LE(at + 30);
        const commentLength = directory.readUInt16LE(at + 32);
        if (size === MAX_32) {
            // The zip64 extra field (0x0001) holds the real size first.
            const extra = directory.subarray(at + CENTRAL_HEADER + nameLength, at + CENTRAL_HEADER + nameLength + extraLength);
            for (let e = 0; e + 4 <= extra.length;) {
                const id = extra.readUInt16LE(e);
                const length = extra.readUInt16LE(e + 2);
                if (id === 0x0001 && length >= 8) {
                    size = Number(extra.readBigUInt64LE(e + 4));
                    break;
                }
                e += 4 + length;
            }
        }
        total += size;
        at += CENTRAL_HEADER + nameLength + extraLength + commentLength;
    }
    return total;
}
/** Bytes `range` ("start-end", or "-suffix") of `url`; refuses a server that sends the whole file. */
async function readRange(url, range, signal) {
    const response = await fetch(url, { headers: { Range: `bytes=${range}` }, signal });
    if (response.status !== 206) {
        await response.body?.cancel();
        throw new Error(`the code location answered ${response.status} to a range request`);
    }
    const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
    if (total === undefined) {
        await response.body?.cancel();
        throw new Error('the code location gave no file size (Content-Range)');
    }
    return { bytes: Buffer.from(await response.arrayBuffer()), fileSize: Number(total) };
}
/**
 * The unzipped size of the zip at `url` (a presigned code location), read
 * from its central directory with two or three range requests.
 */
async function unzippedSizeAt(url, timeoutMs) {
    const signal = AbortSignal.timeout(timeoutMs);
    const { bytes: tail, fileSize } = await readRange(url, `-${TAIL}`, signal);
    let place = findDirectory(tail, fileSize);
    if (place.zip64EndAt !== undefined) {
        const at = place.zip64EndAt;
        place = zip64End((await readRange(url, `${at}-${at + 55}`, signal)).bytes);
    }
    if (place.size > MAX_DIRECTORY) {
        throw new Error(`a central directory of ${(0,format/* formatBytes */.z3)(place.size)}`);
    }
    const tailStart = fileSize - tail.length;
    const directory = place.offset >= tailStart
        ? tail.subarray(place.offset - tailStart, place.offset - tailStart + place.size)
        : place.size === 0
            ? Buffer.alloc(0)
            : (await readRange(url, `${place.offset}-${place.offset + place.size - 1}`, signal)).bytes;
    return unzippedSizeOf(directory, place.count);
}
async function measure(what, location, limits) {
    try {
        const url = await location();
        if (url === undefined)
            return { what, unreadable: 'no code location' };
        return { what, bytes: await unzippedSizeAt(url, limits.callTimeoutMs) };
    }
    catch (error) {
        if (error instanceof cancel/* CancelledError */.cc)
            throw error;
        const cause = error.cause;
        const why = isAccessDenied(error)
            ? `access denied (${describeAwsError(error)})`
            : error instanceof TypeError && cause !== undefined
                ? `fetching the code location failed (${String(cause.code ?? cause.message)})`
                : describeAwsError(error);
        return { what, unreadable: why };
    }
}
/**
 * Reads the unzipped size of a function's code (GetFunction) and of each
 * of its other layers (GetLayerVersionByArn, once per ARN for the run:
 * `layers` is shared). A size that cannot be read is recorded with why.
 */
async function readFunctionSize(client, functionArn, otherLayers, layers, limits) {
    const code = measure('code', async () => {
        const answer = await call(`GetFunction ${functionArn}`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* GetFunctionCommand */.YF5({ FunctionName: functionArn }), {
            abortSignal
        }), { repeat: true });
        return answer.Code?.Location;
    }, limits);
    const others = otherLayers.map(arn => {
        let part = layers.get(arn);
        if (!part) {
            part = measure(arn, async () => {
                const answer = await call(`GetLayerVersionByArn ${arn}`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* GetLayerVersionByArnCommand */.tGD({ Arn: arn }), { abortSignal }), { repeat: true });
                return answer.Content?.Location;
            }, limits);
            layers.set(arn, part);
        }
        return part;
    });
    return { code: await code, others: await Promise.all(others) };
}
/**
 * The function's parts and their total with the new layer, when that is
 * over Lambda's limit; undefined when it fits or a size is unknown.
 */
function tooLarge(size, layerBytes) {
    const parts = [size.code, ...size.others];
    if (parts.some(p => p.bytes === undefined))
        return undefined;
    const total = parts.reduce((sum, p) => sum + (p.bytes ?? 0), 0) + layerBytes;
    if (total <= runtimes/* LIMITS */.b1.unzippedBytes)
        return undefined;
    const list = [
        `its code ${(0,format/* formatBytes */.z3)(size.code.bytes ?? 0)}`,
        ...size.others.map(p => `${p.what} ${(0,format/* formatBytes */.z3)(p.bytes ?? 0)}`),
        `this layer ${(0,format/* formatBytes */.z3)(layerBytes)}`
    ];
    return `${(0,format/* formatBytes */.z3)(total)} unzipped (${list.join(' + ')}), over Lambda's ${(0,format/* formatBytes */.z3)(runtimes/* LIMITS */.b1.unzippedBytes)} (${runtimes/* LIMITS */.b1.unzippedBytes.toLocaleString('en-US')} bytes) for a function and all its layers`;
}

;// CONCATENATED MODULE: ./src/aws/discover.ts
/**
 * `all-functions-using-layer`: the functions of a region that use any
 * version of the layer, found in the preflight and then updated as if they
 * had been named in `functions`. A function whose $LATEST has the layer is
 * listed by its ARN; an alias whose version has it, by the alias ARN, so
 * that it moves to a new version too.
 */



/** Items per page (ListFunctions returns at most 50 whatever is asked). */
const PAGE_SIZE = 50;
/** The unqualified ARN of a function or of one of its versions. */
function unqualified(arn) {
    const parts = arn.split(':');
    return parts.length > 7 ? parts.slice(0, 7).join(':') : arn;
}
/**
 * The `functions` entries (function and alias ARNs) of `region` that use a
 * version of the layer (the layer of that name in each function's account,
 * or the layer ARN given), sorted.
 */
async function functionsUsingLayer(client, layer, region, limits) {
    const latest = new Set();
    const versions = new Map();
    let marker;
    try {
        do {
            const page = await call(`ListFunctions (${region})`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* ListFunctionsCommand */.xRr({
                FunctionVersion: 'ALL',
                MaxItems: PAGE_SIZE,
                Marker: marker
            }), { abortSignal }), { repeat: true });
            for (const fn of page.Functions ?? []) {
                const arn = unqualified(fn.FunctionArn ?? '');
                const location = (0,aws_inputs/* arnLocation */.T2)(arn);
                if (!location)
                    continue;
                const ours = (0,aws_inputs/* layerArnFor */.S)(layer, location);
                if (!(fn.Layers ?? []).some(l => l.Arn && (0,aws_inputs/* layerArnOf */.s3)(l.Arn) === ours))
                    continue;
                if (fn.Version === undefined || fn.Version === '$LATEST')
                    latest.add(arn);
                else
                    versions.set(arn, (versions.get(arn) ?? new Set()).add(fn.Version));
            }
            marker = page.NextMarker || undefined;
        } while (marker);
    }
    catch (error) {
        throw callError(`Listing the functions of ${region} (all-functions-using-layer)`, 'lambda:ListFunctions', error);
    }
    const entries = new Set(latest);
    for (const [arn, used] of versions) {
        let aliasMarker;
        do {
            const page = await call(`ListAliases (${arn})`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* ListAliasesCommand */.UZx({ FunctionName: arn, Marker: aliasMarker }), {
                abortSignal
            }), { repeat: true }).catch((error) => {
                throw callError(`Listing the aliases of ${arn} (all-functions-using-layer)`, 'lambda:ListAliases', error);
            });
            for (const alias of page.Aliases ?? []) {
                if (alias.FunctionVersion && used.has(alias.FunctionVersion) && alias.AliasArn) {
                    entries.add(alias.AliasArn);
                }
            }
            aliasMarker = page.NextMarker || undefined;
        } while (aliasMarker);
    }
    return [...entries].sort();
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
var external_node_crypto_default = /*#__PURE__*/__webpack_require__.n(external_node_crypto_);
// EXTERNAL MODULE: ./src/layer/zip-writer.ts
var zip_writer = __webpack_require__(7024);
;// CONCATENATED MODULE: ./src/aws/probe-handler.ts
/**
 * The handler of the import-test probe (probe.ts): Python the action writes
 * itself, run on Lambda with only the new layer attached. It finds the
 * layer's site folder on sys.path the way Lambda puts it there, lists its
 * top-level modules by the smoke test's rules (checks/smoke-test.ts,
 * discoverModules), imports each and returns what failed.
 */


/** The probe's module, and its handler as Lambda names it. */
const PROBE_MODULE = 'layer_import_probe.py';
const PROBE_HANDLER = 'layer_import_probe.handler';
/** The environment variable that names the layer version the probe was created with. */
const PROBE_LAYER_VARIABLE = 'LAYER_IMPORT_PROBE_LAYER';
/** Printed before each import, so the log names the module a crash or a timeout stopped at. */
const PROBE_START_MARK = 'layer-import-probe: importing ';
const SOURCE = `"""Imports every top-level module of the layer; returns the failures."""
import importlib, os, platform, re, sys, traceback

SKIP = {"__pycache__", "bin", "test", "tests", "setup", "conftest", "docs", "examples"}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _ident(name):
    return IDENT.fullmatch(name) is not None


def _module_of(entry):
    if entry.endswith(".py"):
        return entry[:-3]
    if entry.endswith(".so"):
        return entry.split(".")[0]
    return None


def _is_module(entry):
    return entry.endswith(".py") or entry.endswith(".so")


def _package_names(folder, name):
    entries = sorted(os.listdir(folder))
    if any(_is_module(e) and not os.path.isdir(os.path.join(folder, e)) for e in entries):
        return [name]
    found = []
    for entry in entries:
        inner = os.path.join(folder, entry)
        if not os.path.isdir(inner) or not _ident(entry) or entry in SKIP:
            continue
        if any(f.startswith("__init__.") and _is_module(f) for f in os.listdir(inner)):
            found.append(name + "." + entry)
    return found


def discover(site):
    names, on_disk = set(), set()
    for entry in sorted(os.listdir(site)):
        full = os.path.join(site, entry)
        if os.path.isdir(full):
            if not _ident(entry) or entry in SKIP:
                continue
            on_disk.add(entry)
            names.update(_package_names(full, entry))
        else:
            name = _module_of(entry)
            if name is None or not _ident(name) or name in SKIP:
                continue
            on_disk.add(name)
            names.add(name)
    for entry in sorted(os.listdir(site)):
        if not entry.endswith(".dist-info"):
            continue
        try:
            with open(os.path.join(site, entry, "top_level.txt"), encoding="utf-8") as f:
                declared = f.read().split()
        except OSError:
            continue
        for name in declared:
            name = name.replace("/", ".")
            top = name.split(".")[0]
            if top not in on_disk or top in SKIP:
                continue
            if not any(n == name or n.startswith(name + ".") for n in names):
                names.add(name)
    return sorted(names)


def layer_site():
    """The layer's folder on sys.path: python/lib/python3.X/site-packages, else python."""
    version = "python%d.%d" % sys.version_info[:2]
    ends = ("/python/lib/" + version + "/site-packages", "/python")
    for end in ends:
        for entry in sys.path:
            if entry.rstrip("/").endswith(end) and os.path.isdir(entry):
                return entry
    return None


def handler(event, context):
    site = layer_site()
    result = {
        "probe": 1,
        "layer": os.environ.get("${PROBE_LAYER_VARIABLE}"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "site": site,
        "modules": [],
        "failed": [],
    }
    if site is None:
        return result
    modules = discover(site)
    # After a crash, the next invocation starts after the module that crashed.
    after = event.get("after") if isinstance(event, dict) else None
    if after in modules:
        modules = modules[modules.index(after) + 1:]
    result["modules"] = modules
    for name in modules:
        print("${PROBE_START_MARK}" + name, flush=True)
        try:
            importlib.import_module(name)
        except BaseException as error:
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename in (__file__, importlib.__file__):
                tb = tb.tb_next
            text = "".join(traceback.format_exception(type(error), error, tb))
            lines = [l for l in text.rstrip().splitlines() if "<frozen importlib" not in l]
            result["failed"].append({
                "module": name,
                "type": type(error).__name__,
                "message": str(error),
                "traceback": lines[-6:],
            })
    return result
`;
/** The probe function's code: one module in a zip, the same bytes every run. */
function probeZip() {
    const data = Buffer.from(SOURCE, 'utf8');
    const record = {
        name: Buffer.from(PROBE_MODULE, 'utf8'),
        method: zip_writer/* STORED */.SD,
        crc: (0,layer_zip/* crc32 */.QR)(data),
        size: data.length,
        data,
        attr: (0o100644 << 16) >>> 0
    };
    const options = { dosTime: (0,zip_writer/* dosDateTime */.y8)(layer_zip/* FIXED_TIME */.lv), madeBy: (3 << 8) | 20 };
    const local = Buffer.concat([(0,zip_writer/* localHeader */.$B)(record, options.dosTime), data]);
    const central = (0,zip_writer/* centralHeader */.j)(record, options, 0);
    return Buffer.concat([local, central, (0,zip_writer/* endRecords */.sp)(1, central.length, local.length)]);
}

;// CONCATENATED MODULE: ./src/aws/probe.ts
/**
 * The import test on Lambda (input `lambda-smoke-test-role`): for each
 * runtime × architecture of the layer, a probe function with only the new
 * layer version attached imports every top-level module of the layer on
 * Lambda itself, before any function is changed. The probe is created,
 * invoked and deleted by the run; one left behind by a killed run is
 * replaced by the next.
 */







/** The probe's limits: sized for importing large packages (torch, pandas) once. */
const PROBE_TIMEOUT_S = 120;
const PROBE_MEMORY_MB = 2048;
/** The tag that marks a function as this action's probe; its value is the layer name. */
const PROBE_TAG = 'lambda-layer-import-probe';
/** Invocations after a crash, each importing the modules after the one that crashed. */
const MAX_CRASHES = 5;
/** How long a new role may take to be usable by Lambda (IAM propagation). */
const ROLE_PROPAGATION_MS = 30_000;
const FUNCTION_NAME_MAX = 64;
/**
 * The probe's function name: derived from the layer name, runtime and
 * architecture, so a rerun reuses it (and replaces one a killed run left).
 * A layer name too long to fit is cut and made unique by its hash.
 */
function probeFunctionName(layerName, runtime, arch) {
    const suffix = `-import-probe-py${runtime.slice('python'.length).replace('.', '')}-${arch}`;
    const room = FUNCTION_NAME_MAX - suffix.length;
    if (layerName.length <= room)
        return `${layerName}${suffix}`;
    const hash = (0,external_node_crypto_.createHash)('sha256').update(layerName).digest('hex').slice(0, 8);
    return `${layerName.slice(0, room - 9)}-${hash}${suffix}`;
}
function probeTargets(layerName, runtimes, architectures) {
    return runtimes.flatMap(runtime => architectures.map(architecture => ({
        runtime,
        architecture,
        functionName: probeFunctionName(layerName, runtime, architecture)
    })));
}
/** Whose the function of that name is: none, this layer's probe, or someone else's. */
async function probeOwner(client, functionName, layerName, limits) {
    try {
        const found = await call(`GetFunction ${functionName}`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* GetFunctionCommand */.YF5({ FunctionName: functionName }), { abortSignal }), { repeat: true });
        return found.Tags?.[PROBE_TAG] === layerName ? 'probe' : 'other';
    }
    catch (error) {
        if (isNotFound(error))
            return 'none';
        throw callError(`Reading the import-test probe ${functionName}`, 'lambda:GetFunction on it', error);
    }
}
/**
 * Preflight: each probe's name is free or this layer's probe, and none is a
 * function the run attaches the layer to.
 */
async function checkProbeNames(client, targets, layerName, attachTo, limits) {
    for (const target of targets) {
        if (attachTo.includes(target.functionName)) {
            throw new errors/* ActionError */.lZ(`Input \`functions\` lists ${target.functionName}, the name of the import-test probe of \`lambda-smoke-test-role\`, which is created and deleted by each run. Rename the function or the layer.`);
        }
        if ((await probeOwner(client, target.functionName, layerName, limits)) === 'other') {
            throw new errors/* ActionError */.lZ(`A function named ${target.functionName} exists and is not the import-test probe of layer ${layerName} (it has no ${PROBE_TAG}=${layerName} tag). \`lambda-smoke-test-role\` creates and deletes a function of that name: rename or delete that function. Nothing was published or changed.`);
        }
    }
}
async function deleteProbe(client, functionName, limits) {
    try {
        await call(`DeleteFunction ${functionName}`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* DeleteFunctionCommand */.Z3K({ FunctionName: functionName }), {
            abortSignal
        }), { repeat: true });
    }
    catch (error) {
        if (!isNotFound(error))
            throw error;
    }
}
async function createProbe(client, target, layer, role, limits) {
    const command = new dist_cjs/* CreateFunctionCommand */.Y8X({
        FunctionName: target.functionName,
        Description: `Import test of layer ${layer.name}; deleted when the test ends`.slice(0, 256),
        Runtime: target.runtime,
        Architectures: [target.architecture],
        Role: role,
        Handler: PROBE_HANDLER,
        Code: { ZipFile: probeZip() },
        Layers: [layer.versionArn],
        Timeout: PROBE_TIMEOUT_S,
        MemorySize: PROBE_MEMORY_MB,
        Environment: { Variables: { [PROBE_LAYER_VARIABLE]: layer.versionArn } },
        Tags: { [PROBE_TAG]: layer.name }
    });
    const started = Date.now();
    for (let attempt = 0;; attempt++) {
        try {
            await call(`CreateFunction ${target.functionName}`, limits.callTimeoutMs, async (abortSignal) => await client.send(command, { abortSignal }));
            return;
        }
        catch (error) {
            // A role created moments ago is refused until IAM has propagated it;
            // a refused create created nothing, so it is sent again.
            const propagating = awsErrorName(error) === 'InvalidParameterValueException' &&
                /cannot be assumed|role/i.test(describeAwsError(error)) &&
                Date.now() - started < ROLE_PROPAGATION_MS;
            if (!propagating) {
                throw callError(`Creating the import-test probe ${target.functionName} with role ${role}`, 'lambda:CreateFunction, lambda:TagResource and iam:PassRole on the role', error);
            }
            await cancel/* cancellation */.WN.sleep(Math.min(1000 * 2 ** attempt, 8000));
        }
    }
}
/** Waits until the new function can be invoked (State Active). */
async function waitActive(client, functionName, limits) {
    const deadline = Date.now() + limits.callTimeoutMs;
    for (;;) {
        const config = await call(`GetFunctionConfiguration ${functionName}`, limits.callTimeoutMs, async (abortSignal) => await client.send(new dist_cjs/* GetFunctionConfigurationCommand */.qA6({ FunctionName: functionName }), {
            abortSignal
        }), { repeat: true });
        if (config.State === undefined || config.State === 'Active')
            return;
        if (config.State === 'Failed') {
            throw new errors/* ActionError */.lZ(`The import-test probe ${functionName} could not be created: ${config.StateReasonCode ?? 'Failed'}: ${config.StateReason ?? ''}`.trim());
        }
        if (Date.now() > deadline) {
            throw new errors/* ActionError */.lZ(`The import-test probe ${functionName} was still ${config.State} after ${Math.round(limits.callTimeoutMs / 1000)} s (\`aws-timeout\`).`);
        }
        await cancel/* cancellation */.WN.sleep(1000);
    }
}
async function invokeProbe(client, functionName, event, limits) {
    const answer = await call(`Invoke ${functionName}`, Math.max(limits.callTimeoutMs, (PROBE_TIMEOUT_S + 60) * 1000), async (abortSignal) => await client.send(new dist_cjs/* InvokeCommand */.mdN({
        FunctionName: functionName,
        Payload: Buffer.from(JSON.stringify(event)),
        LogType: 'Tail'
    }), { abortSignal }), { repeat: true });
    const log = answer.LogResult
        ? Buffer.from(answer.LogResult, 'base64').toString('utf8').trimEnd().split(/\r?\n/)
        : [];
    let payload;
    try {
        payload = JSON.parse(Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8'));
    }
    catch {
        payload = undefined;
    }
    if (answer.FunctionError) {
        const p = (payload ?? {});
        return {
            error: {
                type: typeof p.errorType === 'string' ? p.errorType : answer.FunctionError,
                message: typeof p.errorMessage === 'string' ? p.errorMessage : ''
            },
            log
        };
    }
    return { answer: (payload ?? {}), log };
}
/** The module the log shows the probe was importing when it stopped. */
function lastStarted(log) {
    const line = [...log].reverse().find(l => l.includes(PROBE_START_MARK));
    return line?.slice(line.indexOf(PROBE_START_MARK) + PROBE_START_MARK.length).trim();
}
/** The end of the log without the probe's own lines. */
function logTail(log) {
    return log.filter(l => l.trim() !== '' && !l.includes(PROBE_START_MARK)).slice(-8);
}
/**
 * Creates the probe (replacing one a killed run left), invokes it until
 * every module was tried, and deletes it, even when the test fails.
 */
async function runProbe(clients, target, layer, options) {
    const { client, invokeClient } = clients;
    const { limits } = options;
    const name = target.functionName;
    const where = `${target.runtime} on Lambda (${target.architecture})`;
    let outcome;
    let failure;
    try {
        if ((await probeOwner(client, name, layer.name, limits)) === 'probe') {
            await deleteProbe(client, name, limits);
        }
        await createProbe(client, target, layer, options.role, limits);
        await waitActive(client, name, limits);
        const results = [];
        let ranOn;
        let after;
        for (let crashes = 0;;) {
            cancel/* cancellation */.WN.throwIfCancelled();
            const invocation = await invokeProbe(invokeClient, name, after ? { after } : {}, limits);
            if (invocation.answer) {
                const a = invocation.answer;
                if (a.probe !== 1) {
                    throw new errors/* ActionError */.lZ(`The import-test probe ${name} answered with something else than the probe's result: ${JSON.stringify(a).slice(0, 300)}`);
                }
                if (a.layer !== layer.versionArn) {
                    throw new errors/* ActionError */.lZ(`The import-test probe ${name} ran with layer ${a.layer ?? 'none'}, not ${layer.versionArn}: another run of this layer replaced it meanwhile. Run again (and give concurrent runs of one layer a concurrency group).`);
                }
                ranOn = `Python ${a.python ?? '?'} on ${a.machine ?? '?'}`;
                if (!a.site) {
                    results.push({
                        module: '(layer)',
                        ok: false,
                        type: 'ModuleNotFoundError',
                        message: `no folder of the layer is on sys.path (Lambda adds /opt/python and /opt/python/lib/python${target.runtime.slice(6)}/site-packages)`
                    });
                }
                const failed = new Map((a.failed ?? []).map(f => [f.module, f]));
                for (const module of a.modules ?? []) {
                    const f = failed.get(module);
                    results.push(f
                        ? { module, ok: false, type: f.type, message: f.message, traceback: f.traceback }
                        : { module, ok: true });
                }
                break;
            }
            // The function failed: a crash, a timeout or an out-of-memory, while
            // importing the module the log names last.
            const error = invocation.error ?? { type: 'Unknown', message: '' };
            const module = lastStarted(invocation.log);
            const timedOut = /timed out/i.test(error.message);
            if (module === undefined) {
                throw new errors/* ActionError */.lZ(`The import-test probe ${name} failed before importing anything: ${error.type}: ${error.message}${invocation.log.length > 0 ? `\nIts log ends:\n${logTail(invocation.log).join('\n')}` : ''}`);
            }
            results.push({
                module,
                ok: false,
                type: timedOut ? 'Timeout' : 'Crash',
                message: timedOut
                    ? `the import did not finish within the probe's ${PROBE_TIMEOUT_S} s`
                    : `the runtime died (${error.type}: ${error.message})`,
                traceback: logTail(invocation.log)
            });
            crashes += 1;
            if (timedOut || crashes >= MAX_CRASHES)
                break;
            after = module;
        }
        outcome = {
            target,
            modules: results.length,
            findings: (0,checks/* importFindings */.u1)(results, { where, strict: options.strict }),
            ...(ranOn ? { ranOn } : {})
        };
    }
    catch (error) {
        failure = error;
    }
    // Deleted however the test ended; a probe left behind is replaced by the next run.
    let leftBehind;
    try {
        await deleteProbe(client, name, limits);
    }
    catch (error) {
        leftBehind = `${name} (${describeAwsError(error)})`;
    }
    if (failure !== undefined) {
        if (leftBehind && failure instanceof Error) {
            failure.message += `\nThe probe ${leftBehind} could not be deleted; the next run replaces it.`;
        }
        throw failure;
    }
    if (!outcome)
        throw new Error(`the probe ${name} ended without a result`);
    return leftBehind ? { ...outcome, leftBehind } : outcome;
}

;// CONCATENATED MODULE: ./src/aws/prune.ts
/**
 * Deleting old layer versions (`keep-versions`): every version beyond the
 * newest few goes, except the one this run published or reused and any
 * version a function of the region still holds. Old versions count against the
 * region's code storage, and a layer's version list only grows otherwise.
 */






/** Items per page of the list calls (ListFunctions returns at most 50 whatever is asked). */
const prune_PAGE_SIZE = 50;
/** Every version of the layer, newest first; none when the layer does not exist. */
async function listLayerVersions(client, layerName, limits) {
    const found = new Map();
    let marker;
    do {
        let page;
        try {
            page = await call(`ListLayerVersions (layer ${layerName})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* ListLayerVersionsCommand */.icq({
                LayerName: layerName,
                MaxItems: prune_PAGE_SIZE,
                Marker: marker
            }), { abortSignal }), { repeat: true });
        }
        catch (error) {
            if (isNotFound(error))
                return [];
            throw callError(`Listing the versions of layer ${layerName}`, 'lambda:ListLayerVersions', error);
        }
        for (const v of page.LayerVersions ?? []) {
            if (v.Version !== undefined && v.LayerVersionArn)
                found.set(v.Version, v.LayerVersionArn);
        }
        marker = page.NextMarker || undefined;
    } while (marker);
    return [...found]
        .map(([version, arn]) => ({ version, arn }))
        .sort((a, b) => b.version - a.version);
}
/** The function a configuration is, qualified by its published version (not for $LATEST). */
function functionLabel(fn) {
    const arn = (fn.FunctionArn ?? fn.FunctionName ?? 'unknown function').replace(/:\$LATEST$/, '');
    const version = fn.Version;
    if (version === undefined || version === '$LATEST' || arn.endsWith(`:${version}`))
        return arn;
    return `${arn}:${version}`;
}
/**
 * The versions of `layerArn` the region's functions hold, each with the
 * functions holding it.
 *
 * FunctionVersion `ALL` lists every published version of every function beside
 * its $LATEST. A published version is immutable and keeps the layer versions
 * it was published with; an alias may route traffic to it, and rolling back to
 * it means deploying its configuration again, which refers to those layer
 * versions by ARN. So a layer version held only by a published function version
 * is protected too. The price is a longer list to read.
 */
async function versionsInUse(client, layerArn, region, limits) {
    const users = new Map();
    let marker;
    do {
        let page;
        try {
            page = await call(`ListFunctions (${region})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* ListFunctionsCommand */.xRr({
                FunctionVersion: 'ALL',
                MaxItems: prune_PAGE_SIZE,
                Marker: marker
            }), { abortSignal }), { repeat: true });
        }
        catch (error) {
            throw callError(`Listing the functions of ${region} (to find the layer versions they use)`, 'lambda:ListFunctions', error);
        }
        for (const fn of page.Functions ?? []) {
            for (const layer of fn.Layers ?? []) {
                if (!layer.Arn || (0,aws_inputs/* layerArnOf */.s3)(layer.Arn) !== layerArn)
                    continue;
                const version = (0,aws_inputs/* layerVersionOf */.Rb)(layer.Arn);
                if (version === undefined)
                    continue;
                const set = users.get(version) ?? new Set();
                set.add(functionLabel(fn));
                users.set(version, set);
            }
        }
        marker = page.NextMarker || undefined;
    } while (marker);
    return new Map([...users].map(([version, set]) => [version, [...set].sort()]));
}
/**
 * Deletes the layer's versions older than the `keep` newest, except `current`
 * and every version a function of the region holds ($LATEST or a published
 * version). Everything is read before anything is deleted; deletions go from
 * the oldest up.
 *
 * Functions of other accounts that were granted the layer (`share-with`) are
 * not visible to ListFunctions: their versions are protected only by `keep`.
 * A function keeps running after its layer version is deleted, but any later
 * update that sends that version's ARN fails.
 *
 * A failed delete is recorded in `failed` and the others go on. Failing to list
 * the versions or the functions throws, naming the missing permission, before
 * anything is deleted. A cancelled run deletes nothing more and throws a
 * CancelledError saying what was deleted.
 */
async function pruneVersions(client, request, limits = DEFAULT_LIMITS) {
    const { layerName, keep, current, region } = request;
    if (!Number.isInteger(keep) || keep < 1) {
        throw new Error(`pruneVersions: keep must be a whole number of at least 1, got ${keep}`);
    }
    // A layer ARN of another region is refused here: its versions are not this region's to prune.
    (0,aws_inputs/* parseLayerName */.iL)(layerName, region);
    const result = { deleted: [], kept: [], failed: [] };
    const versions = await listLayerVersions(client, layerName, limits);
    if (versions.length === 0) {
        core/* info */.pq(`Layer ${layerName} has no versions to prune.`);
        return result;
    }
    const layerArn = (0,aws_inputs/* layerArnOf */.s3)(versions[0].arn);
    const inUse = await versionsInUse(client, layerArn, region, limits);
    const doomed = [];
    versions.forEach((v, index) => {
        const usedBy = inUse.get(v.version);
        const reason = index < keep ? 'newest' : v.version === current ? 'current' : usedBy ? 'in use' : undefined;
        if (reason === undefined)
            doomed.push(v);
        else
            result.kept.push({ ...v, reason, ...(usedBy ? { usedBy } : {}) });
    });
    if (!versions.some(v => v.version === current)) {
        core/* info */.pq(`Version ${current} of layer ${layerName} is not among the versions listed yet; it is not deleted either way.`);
    }
    for (const kept of result.kept.filter(k => k.reason === 'in use')) {
        core/* info */.pq(`Keeping version ${kept.version} of layer ${layerName}: in use by ${(0,format/* listOrNone */.sQ)(kept.usedBy)}.`);
    }
    doomed.sort((a, b) => a.version - b.version);
    for (const [index, v] of doomed.entries()) {
        if (cancel/* cancellation */.WN.requested) {
            const left = doomed.slice(index).map(d => d.version);
            throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested, `The run was cancelled (${cancel/* cancellation */.WN.requested}) while pruning layer ${layerName}. Deleted: ${(0,format/* listOrNone */.sQ)(result.deleted.map(d => String(d.version)))}. Not deleted: ${left.join(', ')}.`);
        }
        try {
            await call(`DeleteLayerVersion (layer ${layerName}, version ${v.version})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* DeleteLayerVersionCommand */.KnR({ LayerName: layerName, VersionNumber: v.version }), { abortSignal }));
            core/* info */.pq(`Deleted ${v.arn}.`);
            result.deleted.push(v);
        }
        catch (error) {
            if (error instanceof cancel/* CancelledError */.cc) {
                throw new cancel/* CancelledError */.cc(error.signal, `The run was cancelled (${error.signal}) while deleting ${v.arn}: it may or may not be deleted. Deleted before: ${(0,format/* listOrNone */.sQ)(result.deleted.map(d => String(d.version)))}.`);
            }
            const message = callError(`Deleting ${v.arn}`, 'lambda:DeleteLayerVersion', error).message;
            core/* info */.pq(message);
            result.failed.push({ ...v, error: message });
        }
    }
    core/* info */.pq(`Layer ${layerName}: ${(0,format/* plural */.LS)(result.deleted.length, 'version')} deleted, ${result.kept.length} kept${result.failed.length ? `, ${result.failed.length} could not be deleted` : ''}.`);
    return result;
}

;// CONCATENATED MODULE: ./src/aws/publish.ts
/**
 * Publishing layer versions, and finding the latest one when it already holds
 * exactly what we built (PublishLayerVersion always creates a new version, even
 * for identical bytes).
 */










/** How the versions of one content are recognised, for messages. */
function identity(request) {
    return request.signingJobArn
        ? `signed by ${request.signingJobArn}`
        : `with CodeSha256 ${request.codeSha256}`;
}
/** Whether a version read with GetLayerVersion holds the request's content. */
function holdsContent(got, request) {
    return request.signingJobArn
        ? got.Content?.SigningJobArn === request.signingJobArn
        : got.Content?.CodeSha256 === request.codeSha256;
}
/**
 * The description a new version gets: the user's `description`, then
 * ` [sbom <zip sha256 hex>.cdx.json]`, the name of the version's SBOM (in S3
 * next to the zip, with `s3-bucket`) and its zip's SHA-256 at once. Lambda
 * allows 256 characters: when the user's text leaves no room, it stays as it
 * is, without the suffix (`suffixed` false). An unsigned version is reused
 * on its content alone (CodeSha256, runtimes, architectures), never on this
 * text; a signed one on its profile and this text (ReuseQuery.signed), so
 * with `signing-profile` the suffix must fit (checked with the inputs).
 */
function versionDescription(description, zipSha256Hex) {
    const suffix = (0,aws_inputs/* descriptionMarker */.RX)(zipSha256Hex);
    const user = description ?? '';
    const text = user === '' ? suffix : `${user} ${suffix}`;
    if (text.length <= runtimes/* LIMITS */.b1.descriptionMaxLength)
        return { text, suffixed: true };
    return { text: user, suffixed: false };
}
/** Base64 SHA-256 of the zip: the form of Lambda's `Content.CodeSha256`. */
function codeSha256(zip) {
    return createHash('sha256').update(zip).digest('base64');
}
function apiError(what, permission, error) {
    return callError(what, permission, error, 'Add aws-actions/configure-aws-credentials before this step (OIDC: `permissions: id-token: write`), or set `publish: false` to only build the zip.');
}
function sameSet(a, b) {
    const left = new Set(a ?? []);
    const right = new Set(b);
    return left.size === right.size && [...left].every(item => right.has(item));
}
/**
 * Runs before anything is built: the credentials work, the region answers and
 * they may list the layer's versions. A layer that does not exist yet is fine.
 */
async function checkLayerAccess(client, layerName, limits = DEFAULT_LIMITS) {
    try {
        await newestVersion(client, layerName, limits);
    }
    catch (error) {
        if (isNotFound(error))
            return;
        throw apiError(`Reading layer ${layerName}`, 'lambda:ListLayerVersions', error);
    }
}
/**
 * The layer's latest version when it has our content (same CodeSha256, or
 * for a signed layer the same profile and zip: ReuseQuery.signed) and the
 * same compatible runtimes and architectures; otherwise undefined. Only the latest
 * version counts: reusing an older identical version (after a revert) would leave
 * the layer's latest version different from what is deployed. A layer that does
 * not exist yet yields undefined.
 */
async function findReusableVersion(client, query, limits = DEFAULT_LIMITS) {
    const { layerName } = query;
    const latest = await latestVersionNumber(client, layerName, limits);
    if (latest === 0) {
        core/* info */.pq(`Layer ${layerName} has no versions yet.`);
        return undefined;
    }
    let found;
    try {
        found = await call(`GetLayerVersion (layer ${layerName}, version ${latest})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetLayerVersionCommand */.VK5({ LayerName: layerName, VersionNumber: latest }), {
            abortSignal
        }), { repeat: true });
    }
    catch (error) {
        if (isNotFound(error)) {
            core/* info */.pq(`Version ${latest} of layer ${layerName} was deleted meanwhile.`);
            return undefined;
        }
        throw apiError(`Reading version ${latest} of layer ${layerName}`, 'lambda:GetLayerVersion', error);
    }
    const label = `${layerName} version ${latest}`;
    if (query.signed) {
        const marker = (0,aws_inputs/* descriptionMarker */.RX)(query.signed.zipSha256Hex);
        if (found.Content?.SigningProfileVersionArn !== query.signed.profileVersionArn) {
            core/* info */.pq(`The latest version, ${label}, is ${found.Content?.SigningProfileVersionArn ? `signed by ${found.Content.SigningProfileVersionArn}` : 'not signed'}, not by ${query.signed.profileVersionArn}.`);
            return undefined;
        }
        if (!(found.Description ?? '').includes(marker)) {
            core/* info */.pq(`The latest version, ${label}, is signed by our profile but holds another zip (its description does not name ${marker}).`);
            return undefined;
        }
    }
    else if (found.Content?.CodeSha256 !== query.codeSha256) {
        core/* info */.pq(`The latest version, ${label}, has other content (CodeSha256 ${found.Content?.CodeSha256 ?? 'unknown'}, ours ${query.codeSha256}).`);
        return undefined;
    }
    if (!sameSet(found.CompatibleRuntimes, query.runtimes)) {
        core/* info */.pq(`The latest version, ${label}, has our content but other compatible runtimes (${(0,format/* listOrNone */.sQ)(found.CompatibleRuntimes)}; ours ${(0,format/* listOrNone */.sQ)(query.runtimes)}).`);
        return undefined;
    }
    if (!sameSet(found.CompatibleArchitectures, query.architectures)) {
        core/* info */.pq(`The latest version, ${label}, has our content but other compatible architectures (${(0,format/* listOrNone */.sQ)(found.CompatibleArchitectures)}; ours ${(0,format/* listOrNone */.sQ)(query.architectures)}).`);
        return undefined;
    }
    if (!found.LayerArn || !found.LayerVersionArn || found.Version === undefined) {
        throw new errors/* ActionError */.lZ(`GetLayerVersion returned no ARN for ${label}.`);
    }
    core/* info */.pq(`The latest version, ${label}, already holds this content${query.signed ? ', signed by our profile' : ''}: reusing it.`);
    return {
        layerArn: found.LayerArn,
        layerVersionArn: found.LayerVersionArn,
        version: found.Version,
        ...(found.Content?.SigningJobArn ? { signingJobArn: found.Content.SigningJobArn } : {})
    };
}
const DEFAULT_PUBLISH_ATTEMPTS = 3;
const PUBLISH_BACKOFF_MS = 2000;
const publish_realSleep = async (ms) => await cancel/* cancellation */.WN.sleep(ms);
/** ListLayerVersions for the newest version only (sent again while throttled, within the limit). */
async function newestVersion(client, layerName, limits) {
    return await call(`ListLayerVersions (layer ${layerName})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* ListLayerVersionsCommand */.icq({ LayerName: layerName, MaxItems: 1 }), {
        abortSignal
    }), { repeat: true });
}
/** The layer's highest version number; 0 when it has none or does not exist. */
async function latestVersionNumber(client, layerName, limits) {
    try {
        const listed = await newestVersion(client, layerName, limits);
        return Math.max(0, ...(listed?.LayerVersions ?? []).map(v => v.Version ?? 0));
    }
    catch (error) {
        if (isNotFound(error))
            return 0;
        throw apiError(`Listing the versions of layer ${layerName}`, 'lambda:ListLayerVersions', error);
    }
}
/**
 * The versions above `after` that hold our content (same CodeSha256, runtimes
 * and architectures), newest first: what publish requests with lost answers
 * (ours, or a concurrent run's with the same content) created.
 */
async function versionsWithContent(client, request, after, limits) {
    const { layerName } = request;
    const numbers = [];
    let marker;
    do {
        const page = await call(`ListLayerVersions (layer ${layerName})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* ListLayerVersionsCommand */.icq({ LayerName: layerName, MaxItems: 50, Marker: marker }), { abortSignal }), { repeat: true }).catch(error => {
            if (isNotFound(error))
                return { LayerVersions: [], NextMarker: undefined };
            throw error;
        });
        const versions = (page.LayerVersions ?? []).map(v => v.Version ?? 0);
        numbers.push(...versions.filter(v => v > after));
        // Newest first: a page reaching `after` is the last one needed.
        marker = versions.some(v => v <= after) ? undefined : page.NextMarker;
    } while (marker);
    const found = [];
    for (const version of [...new Set(numbers)].sort((a, b) => b - a)) {
        const got = await call(`GetLayerVersion (layer ${layerName}, version ${version})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetLayerVersionCommand */.VK5({ LayerName: layerName, VersionNumber: version }), {
            abortSignal
        }), { repeat: true }).catch(error => {
            if (isNotFound(error))
                return undefined;
            throw error;
        });
        if (got &&
            holdsContent(got, request) &&
            sameSet(got.CompatibleRuntimes, request.runtimes) &&
            sameSet(got.CompatibleArchitectures, request.architectures) &&
            got.LayerArn &&
            got.LayerVersionArn &&
            got.Version !== undefined) {
            found.push({
                layerArn: got.LayerArn,
                layerVersionArn: got.LayerVersionArn,
                version: got.Version,
                ...(request.signingJobArn ? { signingJobArn: request.signingJobArn } : {})
            });
        }
    }
    return found;
}
/**
 * Publishes a new version of the layer from the zip inline (at most
 * LIMITS.directUploadBytes, checked before any API call) or from S3.
 *
 * PublishLayerVersion is not idempotent: a request that reached Lambda but
 * whose answer was lost (a dropped connection, a timeout, a 5xx) may have
 * created a version. So it is never retried blindly: after such a failure,
 * the versions published since the attempt began are read, and one holding
 * our CodeSha256 is adopted; only when there is none is the request sent
 * again. A refusal (throttling, a conflict) did nothing and is retried after
 * a pause. Duplicates that lost answers left behind are reported.
 */
async function publishLayerVersion(client, request, options = {}) {
    const { layerName, content } = request;
    if ('zip' in content && content.zip.length > runtimes/* LIMITS */.b1.directUploadBytes) {
        throw new errors/* ActionError */.lZ((0,checks/* directUploadProblem */.iM)(content.zip.length));
    }
    const limits = options.limits ?? DEFAULT_LIMITS;
    const publishClient = options.publishClient ?? client;
    const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_PUBLISH_ATTEMPTS);
    const sleep = options.sleep ?? publish_realSleep;
    const bytes = 'zip' in content ? content.zip.length : content.bytes;
    const what = `PublishLayerVersion (layer ${layerName})`;
    const before = await latestVersionNumber(client, layerName, limits);
    let lost = 0;
    let lastError;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        cancel/* cancellation */.WN.throwIfCancelled();
        let published;
        try {
            published = await call(what, 'zip' in content ? uploadTimeoutMs(limits, bytes) : limits.callTimeoutMs, abortSignal => publishClient.send(new dist_cjs/* PublishLayerVersionCommand */.cl_({
                LayerName: layerName,
                Content: 'zip' in content
                    ? { ZipFile: content.zip }
                    : { S3Bucket: content.s3Bucket, S3Key: content.s3Key },
                CompatibleRuntimes: [...request.runtimes],
                CompatibleArchitectures: [...request.architectures],
                ...(request.description ? { Description: request.description } : {}),
                ...(request.licenseInfo ? { LicenseInfo: request.licenseInfo } : {})
            }), { abortSignal }));
        }
        catch (error) {
            lastError = error;
            if (wasRefused(error)) {
                const retryable = isThrottling(error) || awsErrorName(error) === 'ResourceConflictException';
                if (!retryable || attempt === maxAttempts) {
                    throw apiError(`Publishing a version of layer ${layerName}`, 'lambda:PublishLayerVersion', error);
                }
                const delay = PUBLISH_BACKOFF_MS * 2 ** (attempt - 1);
                core/* info */.pq(`${what}: refused (${describeAwsError(error)}), nothing was published; trying again in ${delay / 1000} s (attempt ${attempt} of ${maxAttempts}).`);
                await sleep(delay);
                continue;
            }
            if (error instanceof cancel/* CancelledError */.cc) {
                throw new cancel/* CancelledError */.cc(error.signal, `The run was cancelled (${error.signal}) while ${what} was in flight: a new version of layer ${layerName} may or may not have been published (look for versions above ${before} ${identity(request)}). No function was changed.`);
            }
            // No definite answer: the request may have taken effect.
            lost++;
            core/* warning */.$e(`${what} ended without an answer (${describeAwsError(error)}). It may have published a version anyway: looking for one above version ${before} ${identity(request)}.`);
            const found = await versionsWithContent(client, request, before, limits);
            if (found.length > 0) {
                const [chosen, ...others] = found;
                core/* warning */.$e(`${chosen.layerVersionArn} holds this content: the request took effect although its answer was lost. Using it instead of publishing again.`);
                return finish(chosen, true, others);
            }
            if (attempt < maxAttempts) {
                core/* info */.pq(`No version was published by that request; publishing again (attempt ${attempt + 1} of ${maxAttempts}).`);
            }
            continue;
        }
        const { LayerArn, LayerVersionArn, Version } = published;
        if (!LayerArn || !LayerVersionArn || Version === undefined) {
            throw new errors/* ActionError */.lZ(`PublishLayerVersion returned no ARN for layer ${layerName}.`);
        }
        core/* info */.pq(`Published ${LayerVersionArn} (${bytes} bytes${'zip' in content ? '' : `, from s3://${content.s3Bucket}/${content.s3Key}`}).`);
        const version = {
            layerArn: LayerArn,
            layerVersionArn: LayerVersionArn,
            version: Version,
            ...(request.signingJobArn ? { signingJobArn: request.signingJobArn } : {})
        };
        if (lost === 0)
            return { ...version, adopted: false, duplicates: [] };
        const others = (await versionsWithContent(client, request, before, limits)).filter(v => v.version !== Version);
        return finish(version, false, others);
    }
    throw new errors/* ActionError */.lZ(`${what} failed ${maxAttempts} times without an answer, and no version with this content was published (checked after each attempt): ${describeAwsError(lastError)}`);
    function finish(version, adopted, others) {
        const duplicates = others.map(v => v.version).sort((a, b) => a - b);
        if (duplicates.length > 0) {
            core/* info */.pq(`Layer ${layerName} has ${(0,format/* plural */.LS)(duplicates.length, 'other version')} with this same content (${duplicates.join(', ')}), published by requests whose answers were lost. Version ${version.version} is the one used; the others are left in place (a concurrent run may use them): delete them with \`aws lambda delete-layer-version --layer-name ${layerName} --version-number N\` if you wish.`);
        }
        return { ...version, adopted, duplicates };
    }
}

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-s3/dist-cjs/index.js
var client_s3_dist_cjs = __webpack_require__(3711);
;// CONCATENATED MODULE: ./src/aws/s3.ts
/**
 * Publishing through S3: Lambda takes at most 50 MiB inline, so larger zips
 * (and every zip, when `s3-bucket` is set) are uploaded to S3 first and
 * published from there. Keys are content-addressed, so a re-upload of the
 * same zip overwrites the same object.
 */






/** Where a zip goes: <prefix><layer name>/<sha256 hex>.zip */
function objectKey(location, layerName, zip) {
    const name = layerName.split(':').pop() ?? layerName;
    const digest = external_node_crypto_default().createHash('sha256').update(zip).digest('hex');
    return `${location.prefix}${name}/${digest}.zip`;
}
function createS3Client(region, limits = DEFAULT_LIMITS) {
    return recordAttempts(new client_s3_dist_cjs/* S3Client */.YxF({
        region,
        retryMode: 'standard',
        maxAttempts: 5,
        requestHandler: requestHandler(limits)
    }));
}
/**
 * One PutObject of a whole file's bytes. PutObject of the same key and bytes
 * is idempotent: the SDK may retry it. Errors name the object, the input and
 * the permission.
 */
async function putObject(client, location, key, body, what) {
    try {
        const put = await call(`S3 PutObject (s3://${location.bucket}/${key})`, what.timeoutMs, abortSignal => client.send(new client_s3_dist_cjs/* PutObjectCommand */.wKZ({
            Bucket: location.bucket,
            Key: key,
            Body: body,
            ContentType: what.contentType,
            ChecksumAlgorithm: 'SHA256'
        }), { abortSignal }));
        return { key, ...(put?.VersionId ? { versionId: put.VersionId } : {}) };
    }
    catch (error) {
        const hint = isMissingCredentials(error)
            ? ': no AWS credentials found'
            : isAccessDenied(error)
                ? ` (the credentials need s3:PutObject on arn:aws:s3:::${location.bucket}/${location.prefix}*)`
                : '';
        throw new errors/* ActionError */.lZ(`Uploading ${what.label} to s3://${location.bucket}/${key} (input \`s3-bucket\`) failed${hint}: ${describeAwsError(error)}. Nothing was published.`);
    }
}
/** Uploads the zip; returns its key (and version, in a bucket with versioning). */
async function uploadZip(client, location, layerName, zipPath, limits = DEFAULT_LIMITS) {
    const zip = external_node_fs_default().readFileSync(zipPath);
    const key = objectKey(location, layerName, zip);
    core/* info */.pq(`Uploading ${zip.length} bytes to s3://${location.bucket}/${key}`);
    return await putObject(client, location, key, zip, {
        label: 'the layer zip',
        contentType: 'application/zip',
        timeoutMs: uploadTimeoutMs(limits, zip.length)
    });
}
/**
 * Uploads the layer's SBOM next to its zip: <prefix><layer name>/<zip
 * sha256 hex>.cdx.json, the name the version's description gives. Returns
 * the key.
 */
async function uploadSbom(client, location, layerName, sbomPath, zipSha256Hex, limits = DEFAULT_LIMITS) {
    const name = layerName.split(':').pop() ?? layerName;
    const key = `${location.prefix}${name}/${zipSha256Hex}.cdx.json`;
    const body = external_node_fs_default().readFileSync(sbomPath);
    core/* info */.pq(`Uploading the SBOM (${body.length} bytes) to s3://${location.bucket}/${key}`);
    await putObject(client, location, key, body, {
        label: "the layer's SBOM",
        contentType: 'application/vnd.cyclonedx+json',
        timeoutMs: limits.callTimeoutMs
    });
    return key;
}
/** Where signed zips go: <prefix><layer name>/signed/ in the same bucket. */
function signedPrefix(location, layerName) {
    const name = layerName.split(':').pop() ?? layerName;
    return `${location.prefix}${name}/signed/`;
}
/**
 * With `signing-profile`, before anything is built: Signer reads a
 * versioned object, so the bucket must have versioning Enabled. When
 * s3:GetBucketVersioning is refused, the upload tells (it returns no
 * version), so that is not an error here.
 */
async function checkBucketVersioning(client, location, region, limits = DEFAULT_LIMITS) {
    let status;
    try {
        const got = await call(`S3 GetBucketVersioning (${location.bucket})`, limits.callTimeoutMs, abortSignal => client.send(new client_s3_dist_cjs/* GetBucketVersioningCommand */._rj({ Bucket: location.bucket }), { abortSignal }), { repeat: true });
        status = got?.Status;
    }
    catch (error) {
        if (isAccessDenied(error))
            return;
        throw new errors/* ActionError */.lZ(`Reading the versioning of bucket ${location.bucket} (input \`s3-bucket\`, for \`signing-profile\`) failed: ${describeAwsError(error)}. Nothing was built or published.`);
    }
    if (status !== 'Enabled') {
        throw new errors/* ActionError */.lZ(versioningProblem(location.bucket, region, status ?? 'never enabled'));
    }
}
/** Why signing needs versioning, and how to turn it on. */
function versioningProblem(bucket, region, status) {
    return `Input \`signing-profile\` needs versioning on bucket ${bucket} (input \`s3-bucket\`; versioning is ${status}): AWS Signer signs one version of an object. Nothing was built or published. Enable it with \`aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled --region ${region}\`.`;
}
/**
 * Before anything is published anywhere: the bucket exists, in `region`.
 * HeadBucket needs s3:ListBucket, which publishing does not: when it is
 * refused, the upload itself will say what is wrong, so that is not an error.
 */
async function checkBucket(client, location, region, limits = DEFAULT_LIMITS) {
    let bucketRegion;
    try {
        const head = await call(`S3 HeadBucket (${location.bucket})`, limits.callTimeoutMs, abortSignal => client.send(new client_s3_dist_cjs/* HeadBucketCommand */.kuI({ Bucket: location.bucket }), { abortSignal }), { repeat: true });
        bucketRegion = head.BucketRegion;
    }
    catch (error) {
        if (isAccessDenied(error))
            return;
        const status = httpStatus(error);
        if (isNotFound(error) || awsErrorName(error) === 'NotFound' || status === 404) {
            throw new errors/* ActionError */.lZ(`Input \`s3-bucket\`: bucket ${location.bucket} does not exist (looked in ${region}). Nothing was published. Create it in ${region}, or correct the name.`);
        }
        if (status === 301) {
            throw new errors/* ActionError */.lZ(`Input \`s3-bucket\`: bucket ${location.bucket} is not in ${region}; Lambda reads the zip from a bucket in the layer's region. Nothing was published. Use a bucket in ${region} (with several regions, put \`{region}\` in the name).`);
        }
        throw new errors/* ActionError */.lZ(`Checking bucket ${location.bucket} (input \`s3-bucket\`) failed: ${describeAwsError(error)}. Nothing was published.`);
    }
    if (bucketRegion && bucketRegion !== region) {
        throw new errors/* ActionError */.lZ(`Input \`s3-bucket\`: bucket ${location.bucket} is in ${bucketRegion}, not ${region}; Lambda reads the zip from a bucket in the layer's region. Nothing was published. Use a bucket in ${region} (with several regions, put \`{region}\` in the name).`);
    }
}

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-signer/dist-cjs/index.js
var client_signer_dist_cjs = __webpack_require__(9935);
;// CONCATENATED MODULE: ./src/aws/signer.ts
/**
 * Signed layers (`signing-profile`): the zip is uploaded to the versioned
 * `s3-bucket`, signed by an AWS Signer job with the profile, and the signed
 * object is what Lambda publishes. A function whose code signing
 * configuration enforces signatures accepts the layer when the profile is
 * among its allowed publishers.
 *
 * The profile is read in the preflight of every region (profiles, like
 * buckets, are regional: Signer does not sign across regions), so a missing
 * or revoked profile, one for another platform, or a bucket without
 * versioning fails before anything is built.
 *
 * StartSigningJob carries a client request token derived from the profile
 * and the uploaded object's version: Signer answers a repeated request with
 * the first one's job, so the call may be retried safely. The input itself
 * is parsed in aws-inputs/signing-profile.ts.
 */







/** The only Signer platform Lambda accepts. */
const LAMBDA_PLATFORM = 'AWSLambda-SHA384-ECDSA';
/** How long a signing job may take before the step gives up on it. */
const SIGNING_WAIT_MS = 10 * 60_000;
function createSignerClient(region, limits = DEFAULT_LIMITS) {
    return recordAttempts(new client_signer_dist_cjs/* SignerClient */.wj({
        region,
        retryMode: 'standard',
        maxAttempts: SDK_MAX_ATTEMPTS,
        requestHandler: requestHandler(limits)
    }));
}
/**
 * Reads the profile in `region`: it must exist, be Active and sign for
 * Lambda. Fails naming the input, the profile and the region.
 */
async function readSigningProfile(client, name, region, limits = DEFAULT_LIMITS) {
    let got;
    try {
        got = await call(`Signer GetSigningProfile (${name})`, limits.callTimeoutMs, abortSignal => client.send(new client_signer_dist_cjs/* GetSigningProfileCommand */.Ks({ profileName: name }), { abortSignal }), { repeat: true });
    }
    catch (error) {
        if (isNotFound(error)) {
            throw new errors/* ActionError */.lZ(`Input \`signing-profile\`: there is no signing profile "${name}" in ${region}. Nothing was built or published. Signer signs only with a profile of the bucket's region: create it with \`aws signer put-signing-profile --profile-name ${name} --platform-id ${LAMBDA_PLATFORM} --region ${region}\`.`);
        }
        throw failure(`Reading signing profile ${name} (input \`signing-profile\`) in ${region}`, 'signer:GetSigningProfile', error, 'Nothing was built or published.');
    }
    if (got.status && got.status !== 'Active') {
        throw new errors/* ActionError */.lZ(`Input \`signing-profile\`: signing profile "${name}" in ${region} is ${got.status}${got.statusReason ? ` (${got.statusReason})` : ''}, so it cannot sign. Nothing was built or published. Use an Active profile.`);
    }
    if (got.platformId !== LAMBDA_PLATFORM) {
        throw new errors/* ActionError */.lZ(`Input \`signing-profile\`: signing profile "${name}" in ${region} is for platform ${got.platformId ?? 'unknown'}; Lambda accepts only ${LAMBDA_PLATFORM}. Nothing was built or published.`);
    }
    if (!got.profileVersionArn) {
        throw new errors/* ActionError */.lZ(`Signer GetSigningProfile (${name}, ${region}) returned no profileVersionArn.`);
    }
    return { name, versionArn: got.profileVersionArn };
}
/** A failed call's error, followed by what state things are in. */
function failure(what, permission, error, after) {
    const base = callError(what, permission, error);
    if (base instanceof cancel/* CancelledError */.cc)
        return base;
    return new errors/* ActionError */.lZ(`${base.message.replace(/\.?$/, '.')} ${after}`);
}
/** The token that makes a repeated StartSigningJob for this object return the first job. */
function signingToken(profile, source) {
    const hex = (0,external_node_crypto_.createHash)('sha256')
        .update(JSON.stringify([profile.versionArn, source.bucket, source.key, source.versionId ?? null]))
        .digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
/** The job's ARN, as Lambda reports it: arn:<partition>:signer:<region>:<owner>:/signing-jobs/<id>. */
function signingJobArn(region, owner, jobId) {
    const partition = region.startsWith('cn-')
        ? 'aws-cn'
        : region.startsWith('us-gov-')
            ? 'aws-us-gov'
            : 'aws';
    return `arn:${partition}:signer:${region}:${owner}:/signing-jobs/${jobId}`;
}
/**
 * Signs the uploaded zip with the profile: StartSigningJob, then
 * DescribeSigningJob every 1-5 s until it Succeeded or Failed, at most
 * `waitMs`. The signed zip goes to `destination` (bucket and key prefix).
 */
async function signZip(client, region, profile, source, destination, options = {}) {
    const limits = options.limits ?? DEFAULT_LIMITS;
    const sleep = options.sleep ?? (async (ms) => await cancel/* cancellation */.WN.sleep(ms));
    const now = options.now ?? Date.now;
    const waitMs = options.waitMs ?? SIGNING_WAIT_MS;
    const object = `s3://${source.bucket}/${source.key}?versionId=${source.versionId}`;
    let started;
    try {
        // The token makes a repeat return the first request's job: safe to retry.
        started = await call(`Signer StartSigningJob (${profile.name})`, limits.callTimeoutMs, abortSignal => client.send(new client_signer_dist_cjs/* StartSigningJobCommand */.Iq({
            profileName: profile.name,
            source: {
                s3: { bucketName: source.bucket, key: source.key, version: source.versionId }
            },
            destination: { s3: { bucketName: destination.bucket, prefix: destination.prefix } },
            clientRequestToken: signingToken(profile, source)
        }), { abortSignal }), { repeat: true });
    }
    catch (error) {
        throw failure(`Starting a signing job for ${object} with profile ${profile.name} (input \`signing-profile\`)`, 'signer:StartSigningJob', error, `Nothing was published. Signer also needs s3:GetObject and s3:GetObjectVersion on the zip and s3:PutObject on s3://${destination.bucket}/${destination.prefix}*, with the credentials of this step.`);
    }
    const jobId = started.jobId;
    if (!jobId)
        throw new errors/* ActionError */.lZ('Signer StartSigningJob returned no jobId.');
    core/* info */.pq(`Signing ${object} with profile ${profile.name}: job ${jobId}`);
    const deadline = now() + waitMs;
    for (let poll = 0;; poll++) {
        const job = await call(`Signer DescribeSigningJob (${jobId})`, limits.callTimeoutMs, abortSignal => client.send(new client_signer_dist_cjs/* DescribeSigningJobCommand */.ld({ jobId }), { abortSignal }), { repeat: true }).catch(error => {
            throw new errors/* ActionError */.lZ(`Reading signing job ${jobId} (signer:DescribeSigningJob) failed: ${describeAwsError(error)}. Nothing was published.`);
        });
        if (job.status === 'Succeeded') {
            const signed = job.signedObject?.s3;
            if (!signed?.bucketName || !signed.key) {
                throw new errors/* ActionError */.lZ(`Signing job ${jobId} succeeded but names no signed object.`);
            }
            const owner = job.jobOwner ?? started.jobOwner ?? '';
            return {
                jobId,
                jobArn: signingJobArn(region, owner, jobId),
                bucket: signed.bucketName,
                key: signed.key
            };
        }
        if (job.status === 'Failed') {
            throw new errors/* ActionError */.lZ(`Signing job ${jobId} (profile ${profile.name}, ${object}) failed: ${job.statusReason ?? 'no reason given'}. Nothing was published.`);
        }
        if (now() >= deadline) {
            throw new errors/* ActionError */.lZ(`Signing job ${jobId} (profile ${profile.name}) did not finish within ${(0,format/* plural */.LS)(Math.round(waitMs / 60_000), 'minute')} (status ${job.status ?? 'unknown'}). Nothing was published; a re-run signs again.`);
        }
        await sleep(Math.min(1000 * (poll + 1), 5000));
    }
}

;// CONCATENATED MODULE: ./src/aws/share.ts
/**
 * Sharing a layer version with other AWS accounts, an organization or everyone
 * (`share-with`): the parsing of the input, and the sync of the version's
 * resource-based policy. Only statements whose ID starts with
 * STATEMENT_ID_PREFIX belong to the action; any other statement is left alone.
 */







/** The start of every statement ID the action writes; statements without it are never touched. */
const STATEMENT_ID_PREFIX = 'lambda-python-layer-';
/** The only action a layer version policy grants. */
const GET_LAYER_VERSION = 'lambda:GetLayerVersion';
/**
 * The ID of the statement that grants `principal`: derived from the principal
 * alone, so a re-run finds the statement it wrote. Matches the StatementId
 * pattern of AddLayerVersionPermission ([a-zA-Z0-9-_]+, at most 100
 * characters): an organization ID has at most 34 characters.
 */
function statementId(principal) {
    switch (principal.kind) {
        case 'account':
            return `${STATEMENT_ID_PREFIX}account-${principal.id}`;
        case 'organization':
            return `${STATEMENT_ID_PREFIX}org-${principal.id}`;
        case 'public':
            return `${STATEMENT_ID_PREFIX}public`;
    }
}
/** "account 111122223333", "organization o-a1b2c3d4e5", "everyone (public)". */
function principalLabel(principal) {
    switch (principal.kind) {
        case 'account':
            return `account ${principal.id}`;
        case 'organization':
            return `organization ${principal.id}`;
        case 'public':
            return 'everyone (public)';
    }
}
function samePrincipal(a, b) {
    return a !== undefined && (0,aws_inputs/* principalKey */.qW)(a) === (0,aws_inputs/* principalKey */.qW)(b);
}
/** A value that IAM lets be a string or a list of strings, when it holds exactly one string. */
function single(value) {
    if (typeof value === 'string')
        return value;
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string')
        return value[0];
    return undefined;
}
function record(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? value
        : undefined;
}
/**
 * The organization a statement is limited to: undefined when it has no
 * condition, null when its condition is anything but one
 * `StringEquals aws:PrincipalOrgID`.
 */
function organizationOf(statement) {
    if (statement.Condition === undefined) {
        if (statement.OrganizationId === undefined)
            return undefined;
        return single(statement.OrganizationId) ?? null;
    }
    if (statement.OrganizationId !== undefined)
        return null;
    const operators = Object.entries(record(statement.Condition) ?? {});
    if (operators.length !== 1 || operators[0][0] !== 'StringEquals')
        return null;
    const keys = Object.entries(record(operators[0][1]) ?? {});
    if (keys.length !== 1 || keys[0][0].toLowerCase() !== 'aws:principalorgid')
        return null;
    return single(keys[0][1]) ?? null;
}
/**
 * Who a statement lets use the layer version, or undefined when it is not a
 * plain `Allow lambda:GetLayerVersion` to one principal. Lambda writes an
 * account as `{"AWS": "arn:aws:iam::<account>:root"}` and an organization as
 * Principal `*` with the condition `StringEquals aws:PrincipalOrgID`. A bare
 * account ID, and an `OrganizationId` field beside Principal `*` (the
 * request's fields kept as sent, which is what moto 5.2.1 returns), are read
 * too.
 */
function grantOf(statement) {
    if (statement.Effect !== 'Allow' || single(statement.Action) !== GET_LAYER_VERSION) {
        return undefined;
    }
    const principal = single(record(statement.Principal)?.AWS ?? statement.Principal);
    if (principal === undefined)
        return undefined;
    const organization = organizationOf(statement);
    if (organization === null)
        return undefined;
    const account = aws_inputs/* ACCOUNT_ID */.W_.test(principal) ? principal : aws_inputs/* IAM_ROOT */.NL.exec(principal)?.[1];
    if (account !== undefined) {
        return organization === undefined ? { kind: 'account', id: account } : undefined;
    }
    if (principal !== '*')
        return undefined;
    return organization === undefined
        ? { kind: 'public' }
        : { kind: 'organization', id: organization };
}
/** The statements of the version's policy; none when it has no policy yet. */
async function readStatements(client, layerName, version, limits) {
    let policy;
    try {
        const got = await call(`GetLayerVersionPolicy (layer ${layerName}, version ${version})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* GetLayerVersionPolicyCommand */.fCq({ LayerName: layerName, VersionNumber: version }), { abortSignal }), { repeat: true });
        policy = got.Policy;
    }
    catch (error) {
        // A version nobody was granted anything on has no policy at all.
        if (isNotFound(error))
            return [];
        throw callError(`Reading the policy of version ${version} of layer ${layerName}`, 'lambda:GetLayerVersionPolicy', error);
    }
    if (policy === undefined || policy === '')
        return [];
    let parsed;
    try {
        parsed = JSON.parse(policy);
    }
    catch {
        throw new errors/* ActionError */.lZ(`GetLayerVersionPolicy returned a policy that is not JSON for version ${version} of layer ${layerName}.`);
    }
    const statements = record(parsed)?.Statement;
    if (Array.isArray(statements))
        return statements.filter(s => record(s) !== undefined);
    return record(statements) ? [statements] : [];
}
function isOurs(statement) {
    return typeof statement.Sid === 'string' && statement.Sid.startsWith(STATEMENT_ID_PREFIX);
}
/** A statement is added only when missing: a conflict saying it already exists means it is there. */
function alreadyExists(error) {
    return (awsErrorName(error) === 'ResourceConflictException' &&
        /already exists/i.test(describeAwsError(error)));
}
/**
 * Makes the version's policy grant `lambda:GetLayerVersion` to exactly the
 * listed principals, as far as the action's own statements go:
 *
 * - a listed principal without its statement gets one (AddLayerVersionPermission);
 * - a statement of ours for a principal no longer listed is removed
 *   (RemoveLayerVersionPermission), after every addition, so that a principal
 *   still listed never loses access on the way;
 * - a statement with our ID that grants something else than its ID says is
 *   replaced (removed, then added);
 * - statements without our prefix are never touched.
 *
 * AddLayerVersionPermission is not idempotent: when it is refused because the
 * statement already exists (an attempt whose answer was lost, or a concurrent
 * run), the policy is read again and the statement counts as kept if it grants
 * the expected principal. No RevisionId is sent: each statement is written or
 * removed by its own ID.
 *
 * Errors are ActionErrors naming the permission that is missing and saying what
 * was already changed.
 */
async function syncLayerPermissions(client, request, limits = DEFAULT_LIMITS) {
    const { layerName, version } = request;
    const target = `version ${version} of layer ${layerName}`;
    const result = { added: [], removed: [], kept: [] };
    const wanted = new Map();
    for (const principal of request.principals)
        wanted.set(statementId(principal), principal);
    const statements = (await readStatements(client, layerName, version, limits)).filter(isOurs);
    const bySid = new Map();
    for (const statement of statements) {
        bySid.set(statement.Sid, [...(bySid.get(statement.Sid) ?? []), statement]);
    }
    const describeDone = () => {
        const parts = [
            result.added.length ? `granted ${result.added.join(', ')}` : '',
            result.removed.length ? `revoked ${result.removed.join(', ')}` : ''
        ].filter(Boolean);
        return parts.length ? ` Already done on ${target}: ${parts.join('; ')}.` : '';
    };
    const beforeChange = () => {
        if (cancel/* cancellation */.WN.requested) {
            throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested, `The run was cancelled (${cancel/* cancellation */.WN.requested}) while sharing ${target}.${describeDone() || ' Nothing was changed.'}`);
        }
    };
    const failed = (error) => error instanceof cancel/* CancelledError */.cc ? error : new errors/* ActionError */.lZ(`${error.message}${describeDone()}`);
    const remove = async (sid) => {
        beforeChange();
        try {
            await call(`RemoveLayerVersionPermission (layer ${layerName}, version ${version}, statement ${sid})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* RemoveLayerVersionPermissionCommand */.E06({
                LayerName: layerName,
                VersionNumber: version,
                StatementId: sid
            }), { abortSignal }));
        }
        catch (error) {
            // Removed meanwhile (a concurrent run): the goal is reached all the same.
            if (isNotFound(error))
                return;
            throw failed(callError(`Removing statement ${sid} from ${target}`, 'lambda:RemoveLayerVersionPermission', error));
        }
    };
    /** Adds the statement; true when it was added now, false when it already existed. */
    const add = async (sid, principal) => {
        beforeChange();
        try {
            await call(`AddLayerVersionPermission (layer ${layerName}, version ${version}, statement ${sid})`, limits.callTimeoutMs, abortSignal => client.send(new dist_cjs/* AddLayerVersionPermissionCommand */.zjw({
                LayerName: layerName,
                VersionNumber: version,
                StatementId: sid,
                Action: GET_LAYER_VERSION,
                Principal: principal.kind === 'account' ? principal.id : '*',
                ...(principal.kind === 'organization' ? { OrganizationId: principal.id } : {})
            }), { abortSignal }));
            return true;
        }
        catch (error) {
            if (!alreadyExists(error)) {
                throw failed(callError(`Granting ${principalLabel(principal)} access to ${target}`, 'lambda:AddLayerVersionPermission', error));
            }
        }
        const now = (await readStatements(client, layerName, version, limits)).filter(s => s.Sid === sid);
        if (now.length > 0 && now.every(s => samePrincipal(grantOf(s), principal)))
            return false;
        throw failed(new errors/* ActionError */.lZ(`Granting ${principalLabel(principal)} access to ${target}: Lambda says statement ${sid} already exists, but ${now.length === 0 ? 'the policy read again has no such statement' : 'it grants something else'}. Another run may be changing this layer's sharing at the same time; run again.`));
    };
    for (const [sid, principal] of wanted) {
        const label = principalLabel(principal);
        const present = bySid.get(sid) ?? [];
        if (present.length > 0 && present.every(s => samePrincipal(grantOf(s), principal))) {
            result.kept.push(label);
            continue;
        }
        if (present.length > 0) {
            const was = present.map(s => grantOf(s));
            core/* info */.pq(`Statement ${sid} on ${target} grants ${(0,format/* listOrNone */.sQ)(was.map(p => (p ? principalLabel(p) : 'something else')))}, not ${label}: replacing it.`);
            await remove(sid);
        }
        if (await add(sid, principal)) {
            core/* info */.pq(`Granted ${label} ${GET_LAYER_VERSION} on ${target} (statement ${sid}).`);
            result.added.push(label);
        }
        else {
            core/* info */.pq(`${label} already has ${GET_LAYER_VERSION} on ${target} (statement ${sid}).`);
            result.kept.push(label);
        }
    }
    for (const [sid, present] of bySid) {
        if (wanted.has(sid))
            continue;
        const granted = grantOf(present[0]);
        const label = granted ? principalLabel(granted) : `statement ${sid}`;
        await remove(sid);
        core/* info */.pq(`Revoked ${label}'s access to ${target} (statement ${sid}).`);
        result.removed.push(label);
    }
    return result;
}

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-ssm/dist-cjs/index.js
var client_ssm_dist_cjs = __webpack_require__(4736);
;// CONCATENATED MODULE: ./src/aws/ssm.ts
/**
 * The layer version ARN in Parameter Store (`ssm-parameter`): the name
 * checked against Parameter Store's rules before anything runs, the
 * parameter read in the preflight (so missing permissions fail before
 * publishing), and written in each region only when it does not hold the
 * version already, so an unchanged re-run makes no write.
 */




function createSsmClient(region, limits = DEFAULT_LIMITS) {
    return recordAttempts(new client_ssm_dist_cjs/* SSMClient */.jBj({
        region,
        retryMode: 'standard',
        maxAttempts: SDK_MAX_ATTEMPTS,
        requestHandler: requestHandler(limits)
    }));
}
/** The permission a call needs, with the parameter's ARN (any account). */
function permission(action, region, name) {
    return `${action} on ${(0,aws_inputs/* parameterArn */.vi)(region, name, '<account>')}`;
}
/** The parameter as it is now; undefined when there is none. */
async function readParameter(client, name, region, limits) {
    try {
        const out = await call(`SSM GetParameter (${name} in ${region})`, limits.callTimeoutMs, abortSignal => client.send(new client_ssm_dist_cjs/* GetParameterCommand */.lhy({ Name: name }), { abortSignal }), { repeat: true });
        return out.Parameter;
    }
    catch (error) {
        if (awsErrorName(error) === 'ParameterNotFound')
            return undefined;
        throw callError(`Reading parameter ${name} in ${region} (input \`ssm-parameter\`)`, permission('ssm:GetParameter', region, name), error);
    }
}
/**
 * The preflight: the parameter can be read (missing permissions fail here,
 * before anything is published), and when it exists it is a String, the
 * type this action writes.
 */
async function checkParameter(client, name, region, limits = DEFAULT_LIMITS) {
    const current = await readParameter(client, name, region, limits);
    if (current?.Type !== undefined && current.Type !== 'String') {
        throw new errors/* ActionError */.lZ(`Input \`ssm-parameter\`: parameter ${name} in ${region} is a ${current.Type}; the layer version ARN is written as a String, and this action does not replace a parameter of another type. Nothing was published. Delete it, or name another parameter.`);
    }
}
/**
 * Writes `value` to the parameter (String, overwrite) unless it holds it
 * already: an unchanged re-run makes no write, so the parameter's version
 * and modification date stay.
 */
async function writeParameter(client, name, value, region, limits = DEFAULT_LIMITS) {
    const current = await readParameter(client, name, region, limits);
    if (current?.Value === value)
        return 'already held it';
    try {
        // The same name, value and type again changes nothing but the version: safe to repeat.
        await call(`SSM PutParameter (${name} in ${region})`, limits.callTimeoutMs, abortSignal => client.send(new client_ssm_dist_cjs/* PutParameterCommand */.ihh({ Name: name, Value: value, Type: 'String', Overwrite: true }), { abortSignal }), { repeat: true });
    }
    catch (error) {
        throw callError(`Writing parameter ${name} in ${region} (input \`ssm-parameter\`)`, permission('ssm:PutParameter', region, name), error);
    }
    return 'written';
}

// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-codeartifact/dist-cjs/index.js
var client_codeartifact_dist_cjs = __webpack_require__(3380);
;// CONCATENATED MODULE: ./src/aws/codeartifact.ts
/**
 * AWS CodeArtifact as a pip index: the `codeartifact` input, a short-lived
 * authorization token, and the repository's PEP 503 simple index URL with
 * that token as basic-auth credentials.
 */




/**
 * How long a token is valid. CodeArtifact accepts 900 (its minimum) to 43200
 * seconds, or 0 for the lifetime of the role session. An hour covers the
 * longest builds (source builds included) with little to spare.
 */
const TOKEN_DURATION_SECONDS = 3600;
/** The repository as the input writes it: `[owner/]domain/repository`. */
function codeArtifactLabel(repo) {
    return [repo.domainOwner, repo.domain, repo.repository].filter(Boolean).join('/');
}
/**
 * A CodeArtifact client for `region` with the default credential chain and
 * the SDK's `standard` retry mode. The SDK itself honours
 * `AWS_ENDPOINT_URL_CODEARTIFACT` and `AWS_ENDPOINT_URL`.
 */
function createCodeArtifactClient(region, limits = DEFAULT_LIMITS) {
    return recordAttempts(new client_codeartifact_dist_cjs/* CodeartifactClient */.doD({
        region,
        retryMode: 'standard',
        maxAttempts: SDK_MAX_ATTEMPTS,
        requestHandler: requestHandler(limits)
    }));
}
/**
 * The simple index under a repository endpoint (`…/pypi/<repository>/`, with
 * or without the trailing slash): with the token as basic-auth password
 * (user `aws`, token percent-encoded), and without credentials.
 */
function indexUrls(repositoryEndpoint, token) {
    let endpoint;
    try {
        endpoint = new URL(repositoryEndpoint);
    }
    catch {
        endpoint = undefined;
    }
    if (endpoint?.protocol !== 'https:' && endpoint?.protocol !== 'http:') {
        throw new errors/* ActionError */.lZ(`CodeArtifact GetRepositoryEndpoint answered "${repositoryEndpoint}", which is not an http(s) URL.`);
    }
    const where = `${endpoint.host}${endpoint.pathname.replace(/\/+$/, '')}/simple/`;
    return {
        url: `${endpoint.protocol}//aws:${encodeURIComponent(token)}@${where}`,
        publicUrl: `${endpoint.protocol}//${where}`
    };
}
async function regionOf(client) {
    try {
        return await client.config.region();
    }
    catch {
        return undefined;
    }
}
/** How every error of codeArtifactIndex() starts. */
function reading(repo) {
    return `Reading CodeArtifact repository ${codeArtifactLabel(repo)} (input \`codeartifact\`)`;
}
/** Removes the token from a text that is about to be shown. */
function redact(text, token) {
    if (!token)
        return text;
    return text.split(token).join('***').split(encodeURIComponent(token)).join('***');
}
async function codeartifact_apiError(client, repo, step, error, token) {
    const operation = step === 'token' ? 'GetAuthorizationToken' : 'GetRepositoryEndpoint';
    const what = `${reading(repo)}: ${operation}`;
    const detail = redact(describeAwsError(error), token);
    if (isMissingCredentials(error)) {
        return new errors/* ActionError */.lZ(`${what} failed: no AWS credentials found. Add aws-actions/configure-aws-credentials before this step (OIDC: \`permissions: id-token: write\`) with a role that may read the repository.`);
    }
    if (isAccessDenied(error)) {
        const crossAccount = repo.domainOwner
            ? ` Domain ${repo.domain} belongs to account ${repo.domainOwner}: its domain and repository policies must also allow the role.`
            : '';
        return new errors/* ActionError */.lZ(`${what} was refused: the credentials need codeartifact:GetAuthorizationToken on domain ${repo.domain}, codeartifact:GetRepositoryEndpoint and codeartifact:ReadFromRepository on repository ${repo.repository}, and sts:GetServiceBearerToken (condition sts:AWSServiceName = codeartifact.amazonaws.com).${crossAccount} ${detail}`);
    }
    if (isNotFound(error)) {
        const region = await regionOf(client);
        const account = repo.domainOwner ? `account ${repo.domainOwner}` : "the credentials' account";
        const missing = step === 'token'
            ? `domain ${repo.domain} does not exist`
            : `repository ${repo.repository} does not exist in domain ${repo.domain}`;
        return new errors/* ActionError */.lZ(`${what} failed: ${missing} in ${region ? `region ${region}` : 'this region'} and ${account}. Check the input and the \`region\` the action runs in. ${detail}`);
    }
    // CallTimeoutError, CancelledError and every other ActionError already say what happened.
    if (error instanceof errors/* ActionError */.lZ)
        return error;
    return new errors/* ActionError */.lZ(`${what} failed: ${detail}`);
}
/**
 * Gets an authorization token and the repository's pip endpoint, and returns
 * the index URL with the token as credentials. The token is registered as a
 * secret so that it is masked wherever it is logged.
 */
async function codeArtifactIndex(client, repo, limits = DEFAULT_LIMITS) {
    const owner = repo.domainOwner ? { domainOwner: repo.domainOwner } : {};
    const label = codeArtifactLabel(repo);
    let authorization;
    try {
        authorization = await call(`CodeArtifact GetAuthorizationToken (domain ${repo.domain})`, limits.callTimeoutMs, abortSignal => client.send(new client_codeartifact_dist_cjs/* GetAuthorizationTokenCommand */.Eu6({
            domain: repo.domain,
            ...owner,
            durationSeconds: TOKEN_DURATION_SECONDS
        }), { abortSignal }), { repeat: true });
    }
    catch (error) {
        throw await codeartifact_apiError(client, repo, 'token', error);
    }
    const token = authorization.authorizationToken;
    if (!token) {
        throw new errors/* ActionError */.lZ(`${reading(repo)}: GetAuthorizationToken answered without a token.`);
    }
    core/* setSecret */.Pq(token);
    const encoded = encodeURIComponent(token);
    if (encoded !== token)
        core/* setSecret */.Pq(encoded);
    let endpoint;
    try {
        endpoint = await call(`CodeArtifact GetRepositoryEndpoint (${label})`, limits.callTimeoutMs, abortSignal => client.send(new client_codeartifact_dist_cjs/* GetRepositoryEndpointCommand */.Z3Z({
            domain: repo.domain,
            ...owner,
            repository: repo.repository,
            format: 'pypi'
        }), { abortSignal }), { repeat: true });
    }
    catch (error) {
        throw await codeartifact_apiError(client, repo, 'endpoint', error, token);
    }
    const repositoryEndpoint = endpoint.repositoryEndpoint;
    if (!repositoryEndpoint) {
        throw new errors/* ActionError */.lZ(`${reading(repo)}: GetRepositoryEndpoint answered without an endpoint.`);
    }
    const { url, publicUrl } = indexUrls(repositoryEndpoint, token);
    const expiresAt = authorization.expiration;
    core/* info */.pq(`CodeArtifact index for ${label}: ${publicUrl}${expiresAt ? ` (token valid until ${expiresAt.toISOString()})` : ''}`);
    return expiresAt ? { url, publicUrl, token, expiresAt } : { url, publicUrl, token };
}

;// CONCATENATED MODULE: ./src/aws/index.ts
/**
 * AWS as phases, in every listed region: the preflight (before anything is
 * built), publishing (or reusing) the layer version, sharing it, attaching
 * it to the functions, writing its ARN to Parameter Store, and pruning old
 * versions.
 */























/** Regions worked on at the same time. */
const REGION_CONCURRENCY = 4;
/** Functions whose sizes are read at the same time, in one region. */
const FUNCTION_CONCURRENCY = 4;
/**
 * Reads what the layer and the functions need, in every region, before
 * anything is built or published anywhere: credentials, layer access, the
 * S3 bucket, every function.
 */
async function preflight(settings, report) {
    if (!settings.publish || settings.regions.length === 0)
        return undefined;
    const limits = { callTimeoutMs: settings.awsTimeoutMs };
    const several = settings.regions.length > 1;
    const signing = [];
    const regions = await report.phase('Preflight', async () => await (0,concurrency/* mapConcurrent */._)(settings.regions, REGION_CONCURRENCY, async (region) => {
        const client = createLambdaClient(region, { limits });
        const publishClient = createLambdaClient(region, { limits, maxAttempts: 1 });
        const where = several ? ` in ${region}` : '';
        try {
            await checkLayerAccess(client, settings.layerName, limits);
            const location = settings.s3?.get(region);
            const s3 = location && { location, client: createS3Client(region, limits) };
            if (s3)
                await checkBucket(s3.client, s3.location, region, limits);
            let signer;
            if (settings.signingProfile && s3) {
                const signerClient = createSignerClient(region, limits);
                signer = {
                    profile: await readSigningProfile(signerClient, settings.signingProfile, region, limits),
                    client: signerClient
                };
                await checkBucketVersioning(s3.client, s3.location, region, limits);
            }
            const parameter = settings.ssmParameter?.get(region);
            if (parameter)
                await checkParameter(createSsmClient(region, limits), parameter, region, limits);
            const named = settings.functions.filter(f => (f.region ?? settings.regions[0]) === region);
            const discovered = settings.allFunctionsUsingLayer
                ? (await functionsUsingLayer(client, settings.layer, region, limits))
                    .filter(arn => !named.some(f => f.input === arn))
                    .map(arn => ({ ...(0,aws_inputs/* parseFunctionName */.RJ)(arn), region }))
                : [];
            const functions = [...named, ...discovered];
            const plans = functions.length === 0
                ? []
                : await planFunctions(client, {
                    functions,
                    layerName: settings.layer,
                    runtimes: settings.runtimes,
                    architectures: settings.architectures,
                    region,
                    limits,
                    weightedAliases: settings.weightedAliases
                });
            if (functions.length > 0) {
                core/* info */.pq(`Preflight${where}: read ${(0,format/* plural */.LS)(functions.length, 'function')}`);
                await measureFunctions(client, plans, limits);
                const configs = new Map();
                await (0,concurrency/* mapConcurrent */._)(plans, FUNCTION_CONCURRENCY, async (plan) => {
                    signing.push({
                        functionArn: plan.functionArn,
                        signing: await readCodeSigning(client, plan.functionArn, limits, configs),
                        ...(signer ? { signedBy: signer.profile } : {})
                    });
                });
            }
            if (settings.lambdaSmokeTest && region === settings.regions[0]) {
                await checkProbeNames(client, probeTargets(settings.layer.name, settings.runtimes, settings.architectures), settings.layer.name, functions.map(f => f.name), limits);
            }
            return {
                region,
                client,
                publishClient,
                plans,
                discovered: discovered.map(f => f.input),
                ...(s3 ? { s3 } : {}),
                ...(signer ? { signer } : {})
            };
        }
        catch (error) {
            if (!several || error instanceof cancel/* CancelledError */.cc)
                throw error;
            throw new errors/* ActionError */.lZ(`${region}: ${(0,errors/* errorMessage */.gJ)(error)}`);
        }
    }));
    refuseCodeSigning(signing, report);
    report.warnTogether(regions.flatMap(r => r.plans.flatMap(p => [p.size?.code, ...(p.size?.others ?? [])]
        .filter(part => part?.unreadable !== undefined)
        .map(part => `${p.functionName}: the unzipped size of ${part?.what === 'code' ? 'its code' : part?.what} could not be read (${part?.unreadable}), so whether it stays within ${runtimes/* LIMITS */.b1.unzippedBytes.toLocaleString('en-US')} bytes with the layer is left to Lambda`))), n => `${n} sizes of functions' code or other layers could not be read (lambda:GetFunction, lambda:GetLayerVersion); whether those functions stay within ${runtimes/* LIMITS */.b1.unzippedBytes.toLocaleString('en-US')} bytes unzipped is left to Lambda`);
    if (settings.allFunctionsUsingLayer) {
        const found = regions.flatMap(r => r.discovered);
        report.summary.discovered = found;
        core/* info */.pq(`all-functions-using-layer: ${found.length === 0 ? 'no function beyond `functions` uses the layer' : `found ${(0,format/* plural */.LS)(found.length, 'function or alias', 'functions or aliases')} using the layer: ${found.join(', ')}`}`);
    }
    const warnings = regions.flatMap(r => r.plans.flatMap(p => p.warnings));
    const HEADLINES = {
        runtime: n => `${n} functions run a runtime the layer is not built for`,
        architecture: n => `${n} functions run on an architecture the layer is not built for`,
        duplicate: n => `${n} entries of \`functions\` name a function already listed`
    };
    for (const kind of Object.keys(HEADLINES)) {
        report.warnTogether(warnings.filter(w => w.kind === kind).map(w => w.text), HEADLINES[kind]);
    }
    return { regions, limits };
}
/**
 * Refuses, before anything is built, a function whose code signing
 * configuration enforces signatures and does not allow the layer's signer
 * (none, without `signing-profile`); warns of one in Warn mode.
 */
function refuseCodeSigning(signing, report) {
    const sorted = [...signing].sort((a, b) => a.functionArn.localeCompare(b.functionArn, 'en'));
    const { refused, warned, unreadable } = signingProblems(sorted);
    if (refused.length > 0) {
        throw new errors/* ActionError */.lZ(`${refused.length === 1 ? 'A function enforces' : `${refused.length} functions enforce`} code signing; nothing was built or published:\n${refused.map(r => `- ${r}`).join('\n')}\nSet \`signing-profile\` to an allowed profile (with \`s3-bucket\`), remove ${refused.length === 1 ? 'the function' : 'them'} from \`functions\`, or set the configuration's UntrustedArtifactOnDeployment to Warn.`);
    }
    report.warnTogether(warned, n => `${n} functions have code signing in Warn mode and do not allow this layer's signer; Lambda attaches it with a warning`);
    for (const line of unreadable) {
        core/* info */.pq(`Code signing of ${line}: whether it accepts an unsigned layer is left to Lambda.`);
    }
}
/**
 * Reads the unzipped size of each function's code and other layers, for
 * the check that the function still fits with the new layer (publishLayer).
 */
async function measureFunctions(client, plans, limits) {
    const layers = new Map();
    await (0,concurrency/* mapConcurrent */._)(plans, FUNCTION_CONCURRENCY, async (plan) => {
        const others = plan.currentLayers.filter(arn => arn !== plan.currentVersionArn);
        plan.size = await readFunctionSize(client, plan.functionArn, others, layers, limits);
    });
}
/** The new version's description: the user's, and the name of its SBOM where it fits. */
function describe(description, zipHex) {
    const { text, suffixed } = versionDescription(description, zipHex);
    if (!suffixed) {
        core/* info */.pq(`The description leaves no room for " [sbom ${zipHex}.cdx.json]" within Lambda's ${runtimes/* LIMITS */.b1.descriptionMaxLength} characters: the version gets the description alone.`);
    }
    return text;
}
/**
 * What PublishLayerVersion is given: the zip inline; with `s3-bucket`, the
 * uploaded object; with `signing-profile` too, the object Signer signed.
 */
async function publishedContent(layerName, target, zip, limits) {
    if (!target.s3)
        return { content: { zip: external_node_fs_default().readFileSync(zip.path) } };
    const { location } = target.s3;
    const uploaded = await uploadZip(target.s3.client, location, layerName, zip.path, limits);
    if (!target.signer) {
        return { content: { s3Bucket: location.bucket, s3Key: uploaded.key, bytes: zip.bytes } };
    }
    if (!uploaded.versionId) {
        throw new errors/* ActionError */.lZ(versioningProblem(location.bucket, target.region, 'off: the upload returned no version'));
    }
    cancel/* cancellation */.WN.throwIfCancelled();
    const signed = await signZip(target.signer.client, target.region, target.signer.profile, { bucket: location.bucket, key: uploaded.key, versionId: uploaded.versionId }, { bucket: location.bucket, prefix: signedPrefix(location, layerName) }, { limits });
    return { content: { s3Bucket: signed.bucket, s3Key: signed.key, bytes: zip.bytes }, signed };
}
/** Publishes (or reuses) the layer in one region. */
async function publishIn(settings, target, limits, layer, report) {
    const { client, publishClient, region } = target;
    const { zip } = layer;
    const zipHex = (0,layer_zip/* hexSha256 */.XD)(zip.sha256);
    // Reused or new, the version's SBOM is next to its zip.
    if (target.s3 && layer.sbom) {
        await uploadSbom(target.s3.client, target.s3.location, settings.layerName, layer.sbom, zipHex, limits);
    }
    const profile = target.signer?.profile;
    const reused = settings.reuseUnchanged
        ? await findReusableVersion(client, {
            layerName: settings.layerName,
            codeSha256: zip.sha256,
            runtimes: settings.runtimes,
            architectures: settings.architectures,
            ...(profile
                ? { signed: { profileVersionArn: profile.versionArn, zipSha256Hex: zipHex } }
                : {})
        }, limits)
        : undefined;
    if (reused)
        return { ...reused, region, published: false };
    cancel/* cancellation */.WN.throwIfCancelled();
    const { content, signed } = await publishedContent(settings.layerName, target, zip, limits);
    const published = await publishLayerVersion(client, {
        layerName: settings.layerName,
        codeSha256: zip.sha256,
        ...(signed ? { signingJobArn: signed.jobArn } : {}),
        content,
        runtimes: settings.runtimes,
        architectures: settings.architectures,
        description: describe(settings.description, zipHex),
        licenseInfo: settings.licenseInfo
    }, { limits, publishClient });
    if (published.duplicates.length > 0) {
        const one = published.duplicates.length === 1;
        report.warn(`Layer ${settings.layerName}${settings.regions.length > 1 ? ` in ${region}` : ''} has ${one ? 'version' : 'versions'} ${published.duplicates.join(', ')} with the same content as version ${published.version}, which this run uses: a publish request whose answer was lost created ${one ? 'it' : 'them'}. Left in place (a concurrent run may use ${one ? 'it' : 'them'}); delete with \`aws lambda delete-layer-version\` if nothing does.`);
    }
    return {
        layerArn: published.layerArn,
        layerVersionArn: published.layerVersionArn,
        version: published.version,
        ...(published.signingJobArn ? { signingJobArn: published.signingJobArn } : {}),
        region,
        published: true
    };
}
/**
 * Publishes the layer (or reuses the identical latest version) in every
 * region, after refusing a layer that would break one of the functions.
 * The same zip (same CodeSha256) goes everywhere.
 */
async function publishLayer(settings, deployment, layer, report) {
    const breaking = breakingMismatches(deployment.regions.flatMap(r => r.plans), {
        runtimes: settings.runtimes,
        architectures: settings.architectures,
        compiled: layer.machineCode,
        perVersion: layer.sites.length > 1
    });
    const plans = deployment.regions.flatMap(r => r.plans);
    for (const plan of plans) {
        const problem = plan.size && tooLarge(plan.size, layer.zip.unzippedBytes);
        if (problem)
            breaking.push(`${plan.functionArn}: ${problem}`);
    }
    if (breaking.length > 0) {
        throw new errors/* ActionError */.lZ(`The layer would break ${breaking.length === 1 ? 'a function' : `${breaking.length} functions`}; nothing was published or changed:\n${breaking.map(b => `- ${b}`).join('\n')}`);
    }
    const { limits } = deployment;
    // Each region's outcome is kept, so a failure in one still reports the others.
    const outcomes = await report.phase('Publish', async () => await (0,concurrency/* mapConcurrent */._)(deployment.regions, REGION_CONCURRENCY, async (target) => {
        try {
            return {
                ok: true,
                value: await publishIn(settings, target, limits, layer, report)
            };
        }
        catch (error) {
            return { ok: false, region: target.region, error };
        }
    }));
    const versions = [];
    const failures = [];
    for (const o of outcomes) {
        if (o.ok)
            versions.push(o.value);
        else
            failures.push({ region: o.region, error: o.error });
    }
    report.summary.layers = versions.map(v => ({
        region: v.region,
        layerVersionArn: v.layerVersionArn,
        published: v.published,
        ...(v.signingJobArn ? { signingJobArn: v.signingJobArn } : {})
    }));
    const primary = versions.find(v => v.region === deployment.regions[0].region);
    if (primary) {
        report.output('layer-arn', primary.layerArn);
        report.output('layer-version-arn', primary.layerVersionArn);
        report.output('layer-version', String(primary.version));
        report.output('published', String(primary.published));
        report.output('signing-job-arn', primary.signingJobArn ?? '');
    }
    report.output('layer-version-arns', JSON.stringify(Object.fromEntries(versions.map(v => [v.region, v.layerVersionArn]))));
    if (failures.length > 0) {
        const cancelled = failures.find(f => f.error instanceof cancel/* CancelledError */.cc);
        if (cancelled)
            throw cancelled.error;
        if (deployment.regions.length === 1)
            throw failures[0].error;
        throw new errors/* ActionError */.lZ(`Publishing failed in ${failures.map(f => f.region).join(', ')}; no function was changed anywhere:\n${failures.map(f => `- ${f.region}: ${(0,errors/* errorMessage */.gJ)(f.error)}`).join('\n')}\n${versions.length > 0 ? `Done: ${versions.map(v => `${v.region}: ${v.layerVersionArn} (${v.published ? 'published' : 'reused'})`).join(', ')}. A re-run reuses ${versions.length === 1 ? 'it' : 'them'}.` : 'Nothing was published.'}`);
    }
    return versions;
}
/**
 * With `lambda-smoke-test-role`: imports every top-level module of the
 * layer on Lambda, for each runtime × architecture, in the primary region
 * (the zip is the same everywhere), before the layer is shared or attached.
 * Fails like the smoke test, saying it happened on Lambda.
 */
async function testOnLambda(settings, deployment, versions, report) {
    const test = settings.lambdaSmokeTest;
    if (!test)
        return;
    const primary = deployment.regions[0];
    const version = versions.find(v => v.region === primary.region);
    if (!version)
        return;
    cancel/* cancellation */.WN.throwIfCancelled();
    const targets = probeTargets(settings.layer.name, settings.runtimes, settings.architectures);
    const invokeClient = createLambdaClient(primary.region, {
        limits: deployment.limits,
        idleTimeoutMs: (PROBE_TIMEOUT_S + 30) * 1000
    });
    const outcomes = await report.phase('Lambda import test', async () => await (0,concurrency/* mapConcurrent */._)(targets, REGION_CONCURRENCY, async (target) => await runProbe({ client: primary.client, invokeClient }, target, { name: settings.layer.name, versionArn: version.layerVersionArn }, { role: test.role, strict: test.strict, limits: deployment.limits })), `Import the layer on Lambda (${(0,format/* plural */.LS)(targets.length, 'probe')})`);
    const findings = [];
    for (const o of outcomes) {
        const target = `${o.target.runtime}/${o.target.architecture}`;
        const errors = o.findings.filter(f => f.severity === 'error').length;
        const text = errors > 0
            ? `${errors} of ${(0,format/* plural */.LS)(o.modules, 'module')} failed`
            : `${(0,format/* plural */.LS)(o.modules, 'module')} imported${o.findings.length > 0 ? ` (${(0,format/* plural */.LS)(o.findings.length, 'warning')})` : ''}`;
        report.summary.lambdaTest.push({ target, text: `${text}${o.ranOn ? `, ${o.ranOn}` : ''}` });
        core/* info */.pq(`${target}: ${text}${o.ranOn ? ` (${o.ranOn})` : ''}`);
        if (o.leftBehind) {
            report.warn(`The import-test probe ${o.leftBehind} could not be deleted; the next run replaces it.`);
        }
        findings.push(...o.findings);
    }
    report.summary.findings.push(...findings);
    try {
        (0,checks/* enforce */.FE)(findings, 'The import test on Lambda');
    }
    catch (error) {
        throw new errors/* ActionError */.lZ(`${(0,errors/* errorMessage */.gJ)(error).replace('the layer was not published', `no function was changed; ${version.layerVersionArn} is ${version.published ? 'published' : 'the reused version'} and attached to nothing by this run`)}`);
    }
}
/**
 * Gives each principal of `share-with` lambda:GetLayerVersion on the version
 * of every region, and removes the action's grants to principals no longer
 * listed. Nothing is done when `share-with` is empty (layers stay private).
 */
async function shareLayer(settings, deployment, versions, report) {
    if (settings.shareWith.length === 0)
        return;
    const byRegion = new Map(deployment.regions.map(r => [r.region, r]));
    const results = await report.phase('Share', async () => await (0,concurrency/* mapConcurrent */._)(versions, REGION_CONCURRENCY, async (v) => {
        const target = byRegion.get(v.region);
        if (!target)
            throw new Error(`no deployment for ${v.region}`);
        const result = await syncLayerPermissions(target.client, { layerName: settings.layerName, version: v.version, principals: settings.shareWith }, deployment.limits);
        return { region: v.region, arn: v.layerVersionArn, result };
    }), `Share with ${settings.shareWith.map(principalLabel).join(', ')}`);
    for (const { region, arn, result } of results) {
        const parts = [
            result.added.length ? `granted to ${result.added.join(', ')}` : '',
            result.kept.length ? `already granted to ${result.kept.join(', ')}` : '',
            result.removed.length ? `removed from ${result.removed.join(', ')}` : ''
        ].filter(Boolean);
        core/* info */.pq(`${arn}: ${parts.join('; ')}`);
        report.summary.sharing.push({ region, text: parts.join('; ') });
    }
}
/** The statuses that fail the step. */
function isFailure(status) {
    return status === 'failed' || status === 'unknown' || status === 'out-of-time';
}
/** How each status reads in the job summary. */
const STATUS_TEXT = {
    updated: 'updated',
    unchanged: 'unchanged',
    'newer-present': 'newer version present: left alone',
    failed: 'failed',
    'not-started': 'not changed: run cancelled',
    'out-of-time': 'not changed: the attach phase reached its time limit',
    unknown: 'unknown'
};
/**
 * Attaches each region's version to that region's functions. Fails naming
 * each function that could not be updated; a cancelled run fails saying
 * which functions were changed, which were not, and which are unknown.
 */
async function attachLayer(settings, deployment, versions, report) {
    const targets = deployment.regions.filter(r => r.plans.length > 0);
    const count = targets.reduce((n, r) => n + r.plans.length, 0);
    if (count === 0)
        return;
    cancel/* cancellation */.WN.throwIfCancelled();
    const versionIn = new Map(versions.map(v => [v.region, v.layerVersionArn]));
    // The phase as a whole stops starting updates after ATTACH_LIMIT_CALLS × aws-timeout.
    const deadline = Date.now() + ATTACH_LIMIT_CALLS * deployment.limits.callTimeoutMs;
    const perRegion = await report.phase('Attach', async () => await (0,concurrency/* mapConcurrent */._)(targets, REGION_CONCURRENCY, async (target) => {
        const arn = versionIn.get(target.region) ?? '';
        // Without the SDK's own retries: throttling reaches the region's pace
        // (attach.ts retries each update itself, guarded by its RevisionId).
        const results = await attachToFunctions(target.publishClient, target.plans, arn, {
            deadline,
            allowDowngrade: settings.allowDowngrade,
            weightedAliases: settings.weightedAliases,
            limits: deployment.limits
        });
        return results.map(r => ({ ...r, layerVersionArn: arn }));
    }), `Attach to ${(0,format/* plural */.LS)(count, 'function')}`);
    const results = perRegion.flat();
    const aliases = results.flatMap(r => r.aliases ?? []);
    report.warnTogether([
        ...results.filter(r => r.status === 'newer-present').map(r => r.error ?? r.functionArn),
        ...aliases.filter(a => a.status === 'newer-present').map(a => a.error ?? a.aliasArn)
    ], n => `${n} functions or aliases have a newer version of the layer than this run's and were left alone`);
    const updated = [
        ...results.filter(r => r.status === 'updated').map(r => r.functionArn),
        ...aliases.filter(a => a.status === 'moved').map(a => a.aliasArn)
    ];
    report.output('updated-functions', JSON.stringify(updated));
    report.output('function-versions', JSON.stringify(Object.fromEntries(aliases.flatMap(a => (a.after ? [[a.aliasArn, a.after.versionArn]] : [])))));
    // Failures first: at scale they are the rows to read.
    const failedFirst = [
        ...results.filter(r => isFailure(r.status)),
        ...results.filter(r => !isFailure(r.status))
    ];
    for (const r of failedFirst) {
        report.summary.functions.push({
            function: r.functionArn,
            before: r.previousVersionArn,
            after: r.status === 'updated' || r.status === 'unchanged'
                ? r.layerVersionArn
                : r.status === 'unknown'
                    ? 'unknown'
                    : r.previousVersionArn,
            status: isFailure(r.status)
                ? `${STATUS_TEXT[r.status]}: ${r.error ?? ''}`
                : STATUS_TEXT[r.status]
        });
    }
    const aliasFailures = aliases.filter(a => a.status === 'failed');
    for (const a of [...aliasFailures, ...aliases.filter(a => a.status !== 'failed')]) {
        const version = (v) => `version ${v.version}${v.layerVersionArn ? ` (${v.layerVersionArn.split(':').slice(-2).join(':')})` : ''}`;
        report.summary.functions.push({
            function: a.aliasArn,
            before: version(a.before),
            after: a.after ? version(a.after) : version(a.before),
            status: a.status === 'moved'
                ? `alias moved${a.after?.snapStart ? `; ${a.after.snapStart}` : ''}`
                : a.status === 'unchanged'
                    ? 'unchanged'
                    : a.status === 'newer-present'
                        ? 'newer version present: left alone'
                        : a.status === 'not-started'
                            ? 'not moved: run cancelled'
                            : `failed: ${a.error ?? ''}`
        });
    }
    const describe = (status) => results.filter(r => r.status === status).map(r => r.functionArn);
    const what = [...new Set(versions.map(v => v.layerVersionArn))].join(', ');
    if (cancel/* cancellation */.WN.requested) {
        const lines = [
            `The run was cancelled (${cancel/* cancellation */.WN.requested}) while attaching ${what}.`,
            `Changed: ${(0,format/* listOrNone */.sQ)(describe('updated'))}.`,
            `Not changed: ${(0,format/* listOrNone */.sQ)([...describe('not-started'), ...describe('failed'), ...describe('newer-present')])}.`,
            `Already at this version: ${(0,format/* listOrNone */.sQ)(describe('unchanged'))}.`
        ];
        const unknown = describe('unknown');
        if (unknown.length > 0) {
            lines.push(`Unknown (update in flight when cancelled): ${unknown.join(', ')}.`);
        }
        throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested, lines.join('\n'));
    }
    const failed = results.filter(r => isFailure(r.status));
    if (failed.length === 0 && aliasFailures.length > 0) {
        throw new errors/* ActionError */.lZ(`${aliasFailures.length} of ${aliases.length} alias(es) could not be moved to a version with ${what}:\n${aliasFailures.map(a => `- ${a.error ?? a.aliasArn}`).join('\n')}\nEvery function's $LATEST has the layer (each is in the job summary).`);
    }
    if (failed.length > 0) {
        // The others are counted, not listed: the job summary has each of them.
        const counts = new Map();
        for (const r of results) {
            if (isFailure(r.status))
                continue;
            counts.set(STATUS_TEXT[r.status], (counts.get(STATUS_TEXT[r.status]) ?? 0) + 1);
        }
        const others = results.length - failed.length;
        const done = others === 0
            ? ''
            : `\nThe other ${others}: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')} (each is in the job summary).`;
        const late = failed.some(f => f.status === 'out-of-time')
            ? `\nThe attach phase stops starting updates after ${ATTACH_LIMIT_CALLS} × aws-timeout (${Math.round((ATTACH_LIMIT_CALLS * deployment.limits.callTimeoutMs) / 1000)} s), which the API's throttling used up; a re-run updates the functions not changed.`
            : '';
        throw new errors/* ActionError */.lZ(`${failed.length} of ${results.length} function(s) could not be updated to ${what}:\n${failed.map(f => `- ${f.error ?? f.functionArn}`).join('\n')}${done}${late}`);
    }
}
/**
 * With `ssm-parameter`, writes each region's layer version ARN to the
 * parameter there, after the functions are attached, unless the parameter
 * holds it already (a reused version included). A failure fails the step,
 * saying that the layer and the functions are done and the parameter is not.
 */
async function writeLayerParameter(settings, deployment, versions, report) {
    const names = settings.ssmParameter;
    if (!names)
        return;
    const targets = versions.flatMap(v => {
        const name = names.get(v.region);
        return name ? [{ ...v, name }] : [];
    });
    if (targets.length === 0)
        return;
    const done = settings.functions.length > 0
        ? 'The layer is published and the functions are done'
        : 'The layer is published';
    const arns = targets.map(t => `${t.region}: ${t.layerVersionArn}`).join(', ');
    if (cancel/* cancellation */.WN.requested) {
        throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested, `The run was cancelled (${cancel/* cancellation */.WN.requested}) before the layer version ARN was written to Parameter Store. ${done} (${arns}); parameter ${[...new Set(targets.map(t => t.name))].join(', ')} was not written. A re-run writes it.`);
    }
    const outcomes = await report.phase('Parameter Store', async () => await (0,concurrency/* mapConcurrent */._)(targets, REGION_CONCURRENCY, async (t) => {
        try {
            const outcome = await writeParameter(createSsmClient(t.region, deployment.limits), t.name, t.layerVersionArn, t.region, deployment.limits);
            return { ...t, outcome, error: undefined };
        }
        catch (error) {
            return { ...t, outcome: undefined, error };
        }
    }), `Write the layer version ARN to ${[...new Set(targets.map(t => t.name))].join(', ')}`);
    const several = versions.length > 1;
    const written = [];
    for (const o of outcomes) {
        if (o.outcome === undefined)
            continue;
        written.push({ ...o, outcome: o.outcome });
        core/* info */.pq(`${o.name}${several ? ` in ${o.region}` : ''}: ${o.outcome} (${o.layerVersionArn})`);
        report.summary.parameters.push({ region: o.region, name: o.name, text: o.outcome });
    }
    report.output('ssm-parameter-written', String(written.some(w => w.outcome === 'written')));
    const failed = outcomes.filter(o => o.outcome === undefined);
    if (failed.length === 0)
        return;
    for (const f of failed) {
        report.summary.parameters.push({ region: f.region, name: f.name, text: 'not written' });
    }
    const elsewhere = written.length > 0
        ? `\nElsewhere: ${written.map(w => `${w.name} in ${w.region}: ${w.outcome}`).join('; ')}.`
        : '';
    const what = `${done} (${arns}); the layer version ARN is not in Parameter Store in ${failed.map(f => f.region).join(', ')}:\n${failed.map(f => `- ${(0,errors/* errorMessage */.gJ)(f.error)}`).join('\n')}${elsewhere}\nA re-run writes it.`;
    const cancelled = failed.find(f => f.error instanceof cancel/* CancelledError */.cc);
    if (cancelled) {
        throw new cancel/* CancelledError */.cc(cancel/* cancellation */.WN.requested ?? cancelled.error.signal, `The run was cancelled while writing to Parameter Store. ${what}`);
    }
    throw new errors/* ActionError */.lZ(what);
}
/**
 * With `keep-versions`, deletes in each region the versions older than the
 * newest N, never the one this run uses nor any a function of the region
 * still references. A failed delete warns; it does not fail the step.
 */
async function pruneLayer(settings, deployment, versions, report) {
    const keep = settings.keepVersions;
    if (keep === undefined)
        return;
    cancel/* cancellation */.WN.throwIfCancelled();
    if (settings.shareWith.length > 0) {
        report.warn(`keep-versions (${keep}) with share-with: functions of the accounts the layer is shared with are invisible here, so only the ${keep} newest versions are sure to stay for them.`);
    }
    const byRegion = new Map(deployment.regions.map(r => [r.region, r]));
    const results = await report.phase('Prune', async () => await (0,concurrency/* mapConcurrent */._)(versions, REGION_CONCURRENCY, async (v) => {
        const target = byRegion.get(v.region);
        if (!target)
            throw new Error(`no deployment for ${v.region}`);
        try {
            const result = await pruneVersions(target.client, { layerName: settings.layerName, keep, current: v.version, region: v.region }, deployment.limits);
            return { region: v.region, result, skipped: undefined };
        }
        catch (error) {
            // The layer is published and attached: pruning that cannot tell which
            // versions are unused deletes nothing, and the run still succeeds.
            if (error instanceof cancel/* CancelledError */.cc)
                throw error;
            return { region: v.region, result: undefined, skipped: (0,errors/* errorMessage */.gJ)(error) };
        }
    }), `Keep the ${keep} newest versions`);
    const deleted = [];
    for (const outcome of results) {
        const { region } = outcome;
        if (outcome.skipped !== undefined || outcome.result === undefined) {
            const why = (outcome.skipped ?? 'no result').replace(/\.$/, '');
            const text = `skipped: ${why}; nothing was deleted`;
            report.summary.pruning.push({ region, text });
            report.warn(`keep-versions: pruning in ${region} was skipped (${why}); nothing was deleted there. The layer is published and attached; the next run prunes again.`);
            continue;
        }
        const { result } = outcome;
        deleted.push(...result.deleted.map(d => d.arn));
        const kept = result.kept.map(k => `${k.version} (${k.reason === 'in use' ? `in use by ${(k.usedBy ?? []).join(', ')}` : k.reason === 'current' ? 'this run' : 'newest'})`);
        const text = `deleted ${(0,format/* listOrNone */.sQ)(result.deleted.map(d => String(d.version)))}; kept ${(0,format/* listOrNone */.sQ)(kept)}`;
        core/* info */.pq(`${region}: ${text}`);
        report.summary.pruning.push({ region, text });
        for (const f of result.failed) {
            report.warn(`Could not delete ${f.arn}: ${f.error}. It stays; the step goes on.`);
        }
    }
    report.output('deleted-versions', JSON.stringify(deleted));
}


/***/ })

};
