/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const silo = $root.silo = (() => {

    /**
     * Namespace silo.
     * @exports silo
     * @namespace
     */
    const silo = {};

    silo.v1 = (function() {

        /**
         * Namespace v1.
         * @memberof silo
         * @namespace
         */
        const v1 = {};

        v1.Federation = (function() {

            /**
             * Constructs a new Federation service.
             * @memberof silo.v1
             * @classdesc Represents a Federation
             * @extends $protobuf.rpc.Service
             * @constructor
             * @param {$protobuf.RPCImpl} rpcImpl RPC implementation
             * @param {boolean} [requestDelimited=false] Whether requests are length-delimited
             * @param {boolean} [responseDelimited=false] Whether responses are length-delimited
             */
            function Federation(rpcImpl, requestDelimited, responseDelimited) {
                $protobuf.rpc.Service.call(this, rpcImpl, requestDelimited, responseDelimited);
            }

            (Federation.prototype = Object.create($protobuf.rpc.Service.prototype)).constructor = Federation;

            /**
             * Creates new Federation service using the specified rpc implementation.
             * @function create
             * @memberof silo.v1.Federation
             * @static
             * @param {$protobuf.RPCImpl} rpcImpl RPC implementation
             * @param {boolean} [requestDelimited=false] Whether requests are length-delimited
             * @param {boolean} [responseDelimited=false] Whether responses are length-delimited
             * @returns {Federation} RPC service. Useful where requests and/or responses are streamed.
             */
            Federation.create = function create(rpcImpl, requestDelimited, responseDelimited) {
                return new this(rpcImpl, requestDelimited, responseDelimited);
            };

            /**
             * Callback as used by {@link silo.v1.Federation#getChallenge}.
             * @memberof silo.v1.Federation
             * @typedef GetChallengeCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.Challenge} [response] Challenge
             */

            /**
             * Calls GetChallenge.
             * @function getChallenge
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IChallengeRequest} request ChallengeRequest message or plain object
             * @param {silo.v1.Federation.GetChallengeCallback} callback Node-style callback called with the error, if any, and Challenge
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.getChallenge = function getChallenge(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, getChallenge, $root.silo.v1.ChallengeRequest, $root.silo.v1.Challenge, request, callback);
            }, "name", { value: "GetChallenge" });

            /**
             * Calls GetChallenge.
             * @function getChallenge
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IChallengeRequest} request ChallengeRequest message or plain object
             * @returns {Promise<silo.v1.Challenge>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#join}.
             * @memberof silo.v1.Federation
             * @typedef JoinCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.Instruction} [response] Instruction
             */

            /**
             * Calls Join.
             * @function join
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IJoinRequest} request JoinRequest message or plain object
             * @param {silo.v1.Federation.JoinCallback} callback Node-style callback called with the error, if any, and Instruction
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.join = function join(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, join, $root.silo.v1.JoinRequest, $root.silo.v1.Instruction, request, callback);
            }, "name", { value: "Join" });

            /**
             * Calls Join.
             * @function join
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IJoinRequest} request JoinRequest message or plain object
             * @returns {Promise<silo.v1.Instruction>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#fetchModel}.
             * @memberof silo.v1.Federation
             * @typedef FetchModelCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.ModelChunk} [response] ModelChunk
             */

            /**
             * Calls FetchModel.
             * @function fetchModel
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IFetchModelRequest} request FetchModelRequest message or plain object
             * @param {silo.v1.Federation.FetchModelCallback} callback Node-style callback called with the error, if any, and ModelChunk
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.fetchModel = function fetchModel(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, fetchModel, $root.silo.v1.FetchModelRequest, $root.silo.v1.ModelChunk, request, callback);
            }, "name", { value: "FetchModel" });

            /**
             * Calls FetchModel.
             * @function fetchModel
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IFetchModelRequest} request FetchModelRequest message or plain object
             * @returns {Promise<silo.v1.ModelChunk>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#submitUpdate}.
             * @memberof silo.v1.Federation
             * @typedef SubmitUpdateCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.Receipt} [response] Receipt
             */

            /**
             * Calls SubmitUpdate.
             * @function submitUpdate
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IUpdatePart} request UpdatePart message or plain object
             * @param {silo.v1.Federation.SubmitUpdateCallback} callback Node-style callback called with the error, if any, and Receipt
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.submitUpdate = function submitUpdate(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, submitUpdate, $root.silo.v1.UpdatePart, $root.silo.v1.Receipt, request, callback);
            }, "name", { value: "SubmitUpdate" });

            /**
             * Calls SubmitUpdate.
             * @function submitUpdate
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IUpdatePart} request UpdatePart message or plain object
             * @returns {Promise<silo.v1.Receipt>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#reportEvaluation}.
             * @memberof silo.v1.Federation
             * @typedef ReportEvaluationCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.Ack} [response] Ack
             */

            /**
             * Calls ReportEvaluation.
             * @function reportEvaluation
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IEvaluationReport} request EvaluationReport message or plain object
             * @param {silo.v1.Federation.ReportEvaluationCallback} callback Node-style callback called with the error, if any, and Ack
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.reportEvaluation = function reportEvaluation(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, reportEvaluation, $root.silo.v1.EvaluationReport, $root.silo.v1.Ack, request, callback);
            }, "name", { value: "ReportEvaluation" });

            /**
             * Calls ReportEvaluation.
             * @function reportEvaluation
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IEvaluationReport} request EvaluationReport message or plain object
             * @returns {Promise<silo.v1.Ack>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#getReceipt}.
             * @memberof silo.v1.Federation
             * @typedef GetReceiptCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.LedgerReceipt} [response] LedgerReceipt
             */

            /**
             * Calls GetReceipt.
             * @function getReceipt
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IReceiptRequest} request ReceiptRequest message or plain object
             * @param {silo.v1.Federation.GetReceiptCallback} callback Node-style callback called with the error, if any, and LedgerReceipt
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.getReceipt = function getReceipt(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, getReceipt, $root.silo.v1.ReceiptRequest, $root.silo.v1.LedgerReceipt, request, callback);
            }, "name", { value: "GetReceipt" });

            /**
             * Calls GetReceipt.
             * @function getReceipt
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IReceiptRequest} request ReceiptRequest message or plain object
             * @returns {Promise<silo.v1.LedgerReceipt>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#decline}.
             * @memberof silo.v1.Federation
             * @typedef DeclineCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.Ack} [response] Ack
             */

            /**
             * Calls Decline.
             * @function decline
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IDeclineRequest} request DeclineRequest message or plain object
             * @param {silo.v1.Federation.DeclineCallback} callback Node-style callback called with the error, if any, and Ack
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.decline = function decline(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, decline, $root.silo.v1.DeclineRequest, $root.silo.v1.Ack, request, callback);
            }, "name", { value: "Decline" });

            /**
             * Calls Decline.
             * @function decline
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.IDeclineRequest} request DeclineRequest message or plain object
             * @returns {Promise<silo.v1.Ack>} Promise
             * @variation 2
             */

            /**
             * Callback as used by {@link silo.v1.Federation#submitSecAgg}.
             * @memberof silo.v1.Federation
             * @typedef SubmitSecAggCallback
             * @type {function}
             * @param {Error|null} error Error, if any
             * @param {silo.v1.Ack} [response] Ack
             */

            /**
             * Calls SubmitSecAgg.
             * @function submitSecAgg
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.ISecAggMessage} request SecAggMessage message or plain object
             * @param {silo.v1.Federation.SubmitSecAggCallback} callback Node-style callback called with the error, if any, and Ack
             * @returns {undefined}
             * @variation 1
             */
            Object.defineProperty(Federation.prototype.submitSecAgg = function submitSecAgg(request, callback) {
                return $protobuf.rpc.Service.prototype.rpcCall.call(this, submitSecAgg, $root.silo.v1.SecAggMessage, $root.silo.v1.Ack, request, callback);
            }, "name", { value: "SubmitSecAgg" });

            /**
             * Calls SubmitSecAgg.
             * @function submitSecAgg
             * @memberof silo.v1.Federation
             * @instance
             * @param {silo.v1.ISecAggMessage} request SecAggMessage message or plain object
             * @returns {Promise<silo.v1.Ack>} Promise
             * @variation 2
             */

            return Federation;
        })();

        v1.ChallengeRequest = (function() {

            /**
             * Properties of a ChallengeRequest.
             * @memberof silo.v1
             * @interface IChallengeRequest
             * @property {string|null} [keyId] ChallengeRequest keyId
             */

            /**
             * Constructs a new ChallengeRequest.
             * @memberof silo.v1
             * @classdesc Represents a ChallengeRequest.
             * @implements IChallengeRequest
             * @constructor
             * @param {silo.v1.IChallengeRequest=} [p] Properties to set
             */
            function ChallengeRequest(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ChallengeRequest keyId.
             * @member {string} keyId
             * @memberof silo.v1.ChallengeRequest
             * @instance
             */
            ChallengeRequest.prototype.keyId = "";

            /**
             * Creates a new ChallengeRequest instance using the specified properties.
             * @function create
             * @memberof silo.v1.ChallengeRequest
             * @static
             * @param {silo.v1.IChallengeRequest=} [properties] Properties to set
             * @returns {silo.v1.ChallengeRequest} ChallengeRequest instance
             */
            ChallengeRequest.create = function create(properties) {
                return new ChallengeRequest(properties);
            };

            /**
             * Encodes the specified ChallengeRequest message. Does not implicitly {@link silo.v1.ChallengeRequest.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.ChallengeRequest
             * @static
             * @param {silo.v1.IChallengeRequest} m ChallengeRequest message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ChallengeRequest.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(10).string(m.keyId);
                return w;
            };

            /**
             * Decodes a ChallengeRequest message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.ChallengeRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.ChallengeRequest} ChallengeRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ChallengeRequest.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.ChallengeRequest();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.keyId = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for ChallengeRequest
             * @function getTypeUrl
             * @memberof silo.v1.ChallengeRequest
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ChallengeRequest.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.ChallengeRequest";
            };

            return ChallengeRequest;
        })();

        v1.Challenge = (function() {

            /**
             * Properties of a Challenge.
             * @memberof silo.v1
             * @interface IChallenge
             * @property {string|null} [challenge] Challenge challenge
             * @property {number|null} [expiresUnixMs] Challenge expiresUnixMs
             */

            /**
             * Constructs a new Challenge.
             * @memberof silo.v1
             * @classdesc Represents a Challenge.
             * @implements IChallenge
             * @constructor
             * @param {silo.v1.IChallenge=} [p] Properties to set
             */
            function Challenge(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Challenge challenge.
             * @member {string} challenge
             * @memberof silo.v1.Challenge
             * @instance
             */
            Challenge.prototype.challenge = "";

            /**
             * Challenge expiresUnixMs.
             * @member {number} expiresUnixMs
             * @memberof silo.v1.Challenge
             * @instance
             */
            Challenge.prototype.expiresUnixMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new Challenge instance using the specified properties.
             * @function create
             * @memberof silo.v1.Challenge
             * @static
             * @param {silo.v1.IChallenge=} [properties] Properties to set
             * @returns {silo.v1.Challenge} Challenge instance
             */
            Challenge.create = function create(properties) {
                return new Challenge(properties);
            };

            /**
             * Encodes the specified Challenge message. Does not implicitly {@link silo.v1.Challenge.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.Challenge
             * @static
             * @param {silo.v1.IChallenge} m Challenge message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Challenge.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.challenge != null && Object.hasOwnProperty.call(m, "challenge"))
                    w.uint32(10).string(m.challenge);
                if (m.expiresUnixMs != null && Object.hasOwnProperty.call(m, "expiresUnixMs"))
                    w.uint32(16).uint64(m.expiresUnixMs);
                return w;
            };

            /**
             * Decodes a Challenge message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.Challenge
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.Challenge} Challenge
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Challenge.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.Challenge();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.challenge = r.string();
                            break;
                        }
                    case 2: {
                            m.expiresUnixMs = r.uint64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for Challenge
             * @function getTypeUrl
             * @memberof silo.v1.Challenge
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Challenge.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.Challenge";
            };

            return Challenge;
        })();

        v1.DeclineRequest = (function() {

            /**
             * Properties of a DeclineRequest.
             * @memberof silo.v1
             * @interface IDeclineRequest
             * @property {silo.v1.IFlattenedJws|null} [decline] DeclineRequest decline
             */

            /**
             * Constructs a new DeclineRequest.
             * @memberof silo.v1
             * @classdesc Represents a DeclineRequest.
             * @implements IDeclineRequest
             * @constructor
             * @param {silo.v1.IDeclineRequest=} [p] Properties to set
             */
            function DeclineRequest(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * DeclineRequest decline.
             * @member {silo.v1.IFlattenedJws|null|undefined} decline
             * @memberof silo.v1.DeclineRequest
             * @instance
             */
            DeclineRequest.prototype.decline = null;

            /**
             * Creates a new DeclineRequest instance using the specified properties.
             * @function create
             * @memberof silo.v1.DeclineRequest
             * @static
             * @param {silo.v1.IDeclineRequest=} [properties] Properties to set
             * @returns {silo.v1.DeclineRequest} DeclineRequest instance
             */
            DeclineRequest.create = function create(properties) {
                return new DeclineRequest(properties);
            };

            /**
             * Encodes the specified DeclineRequest message. Does not implicitly {@link silo.v1.DeclineRequest.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.DeclineRequest
             * @static
             * @param {silo.v1.IDeclineRequest} m DeclineRequest message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            DeclineRequest.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.decline != null && Object.hasOwnProperty.call(m, "decline"))
                    $root.silo.v1.FlattenedJws.encode(m.decline, w.uint32(10).fork(), q + 1).ldelim();
                return w;
            };

            /**
             * Decodes a DeclineRequest message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.DeclineRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.DeclineRequest} DeclineRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            DeclineRequest.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.DeclineRequest();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.decline = $root.silo.v1.FlattenedJws.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for DeclineRequest
             * @function getTypeUrl
             * @memberof silo.v1.DeclineRequest
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            DeclineRequest.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.DeclineRequest";
            };

            return DeclineRequest;
        })();

        v1.FlattenedJws = (function() {

            /**
             * Properties of a FlattenedJws.
             * @memberof silo.v1
             * @interface IFlattenedJws
             * @property {string|null} ["protected"] FlattenedJws protected
             * @property {string|null} [payload] FlattenedJws payload
             * @property {string|null} [signature] FlattenedJws signature
             */

            /**
             * Constructs a new FlattenedJws.
             * @memberof silo.v1
             * @classdesc Represents a FlattenedJws.
             * @implements IFlattenedJws
             * @constructor
             * @param {silo.v1.IFlattenedJws=} [p] Properties to set
             */
            function FlattenedJws(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * FlattenedJws protected.
             * @member {string} protected
             * @memberof silo.v1.FlattenedJws
             * @instance
             */
            FlattenedJws.prototype["protected"] = "";

            /**
             * FlattenedJws payload.
             * @member {string} payload
             * @memberof silo.v1.FlattenedJws
             * @instance
             */
            FlattenedJws.prototype.payload = "";

            /**
             * FlattenedJws signature.
             * @member {string} signature
             * @memberof silo.v1.FlattenedJws
             * @instance
             */
            FlattenedJws.prototype.signature = "";

            /**
             * Creates a new FlattenedJws instance using the specified properties.
             * @function create
             * @memberof silo.v1.FlattenedJws
             * @static
             * @param {silo.v1.IFlattenedJws=} [properties] Properties to set
             * @returns {silo.v1.FlattenedJws} FlattenedJws instance
             */
            FlattenedJws.create = function create(properties) {
                return new FlattenedJws(properties);
            };

            /**
             * Encodes the specified FlattenedJws message. Does not implicitly {@link silo.v1.FlattenedJws.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.FlattenedJws
             * @static
             * @param {silo.v1.IFlattenedJws} m FlattenedJws message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            FlattenedJws.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m["protected"] != null && Object.hasOwnProperty.call(m, "protected"))
                    w.uint32(10).string(m["protected"]);
                if (m.payload != null && Object.hasOwnProperty.call(m, "payload"))
                    w.uint32(18).string(m.payload);
                if (m.signature != null && Object.hasOwnProperty.call(m, "signature"))
                    w.uint32(26).string(m.signature);
                return w;
            };

            /**
             * Decodes a FlattenedJws message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.FlattenedJws
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.FlattenedJws} FlattenedJws
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            FlattenedJws.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.FlattenedJws();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m["protected"] = r.string();
                            break;
                        }
                    case 2: {
                            m.payload = r.string();
                            break;
                        }
                    case 3: {
                            m.signature = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for FlattenedJws
             * @function getTypeUrl
             * @memberof silo.v1.FlattenedJws
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            FlattenedJws.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.FlattenedJws";
            };

            return FlattenedJws;
        })();

        v1.JoinRequest = (function() {

            /**
             * Properties of a JoinRequest.
             * @memberof silo.v1
             * @interface IJoinRequest
             * @property {string|null} [keyId] JoinRequest keyId
             * @property {silo.v1.IFlattenedJws|null} [proof] JoinRequest proof
             * @property {string|null} [name] JoinRequest name
             * @property {string|null} [backend] JoinRequest backend
             * @property {number|null} [numExamples] JoinRequest numExamples
             */

            /**
             * Constructs a new JoinRequest.
             * @memberof silo.v1
             * @classdesc Represents a JoinRequest.
             * @implements IJoinRequest
             * @constructor
             * @param {silo.v1.IJoinRequest=} [p] Properties to set
             */
            function JoinRequest(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * JoinRequest keyId.
             * @member {string} keyId
             * @memberof silo.v1.JoinRequest
             * @instance
             */
            JoinRequest.prototype.keyId = "";

            /**
             * JoinRequest proof.
             * @member {silo.v1.IFlattenedJws|null|undefined} proof
             * @memberof silo.v1.JoinRequest
             * @instance
             */
            JoinRequest.prototype.proof = null;

            /**
             * JoinRequest name.
             * @member {string} name
             * @memberof silo.v1.JoinRequest
             * @instance
             */
            JoinRequest.prototype.name = "";

            /**
             * JoinRequest backend.
             * @member {string} backend
             * @memberof silo.v1.JoinRequest
             * @instance
             */
            JoinRequest.prototype.backend = "";

            /**
             * JoinRequest numExamples.
             * @member {number} numExamples
             * @memberof silo.v1.JoinRequest
             * @instance
             */
            JoinRequest.prototype.numExamples = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new JoinRequest instance using the specified properties.
             * @function create
             * @memberof silo.v1.JoinRequest
             * @static
             * @param {silo.v1.IJoinRequest=} [properties] Properties to set
             * @returns {silo.v1.JoinRequest} JoinRequest instance
             */
            JoinRequest.create = function create(properties) {
                return new JoinRequest(properties);
            };

            /**
             * Encodes the specified JoinRequest message. Does not implicitly {@link silo.v1.JoinRequest.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.JoinRequest
             * @static
             * @param {silo.v1.IJoinRequest} m JoinRequest message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            JoinRequest.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(10).string(m.keyId);
                if (m.proof != null && Object.hasOwnProperty.call(m, "proof"))
                    $root.silo.v1.FlattenedJws.encode(m.proof, w.uint32(18).fork(), q + 1).ldelim();
                if (m.name != null && Object.hasOwnProperty.call(m, "name"))
                    w.uint32(26).string(m.name);
                if (m.backend != null && Object.hasOwnProperty.call(m, "backend"))
                    w.uint32(34).string(m.backend);
                if (m.numExamples != null && Object.hasOwnProperty.call(m, "numExamples"))
                    w.uint32(40).uint64(m.numExamples);
                return w;
            };

            /**
             * Decodes a JoinRequest message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.JoinRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.JoinRequest} JoinRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            JoinRequest.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.JoinRequest();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.keyId = r.string();
                            break;
                        }
                    case 2: {
                            m.proof = $root.silo.v1.FlattenedJws.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 3: {
                            m.name = r.string();
                            break;
                        }
                    case 4: {
                            m.backend = r.string();
                            break;
                        }
                    case 5: {
                            m.numExamples = r.uint64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for JoinRequest
             * @function getTypeUrl
             * @memberof silo.v1.JoinRequest
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            JoinRequest.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.JoinRequest";
            };

            return JoinRequest;
        })();

        v1.Instruction = (function() {

            /**
             * Properties of an Instruction.
             * @memberof silo.v1
             * @interface IInstruction
             * @property {silo.v1.ITrainInstruction|null} [train] Instruction train
             * @property {silo.v1.IEvaluateInstruction|null} [evaluate] Instruction evaluate
             * @property {silo.v1.IPing|null} [ping] Instruction ping
             * @property {silo.v1.ISecAggStep|null} [secagg] Instruction secagg
             * @property {silo.v1.IFlattenedJws|null} [signature] Instruction signature
             */

            /**
             * Constructs a new Instruction.
             * @memberof silo.v1
             * @classdesc Represents an Instruction.
             * @implements IInstruction
             * @constructor
             * @param {silo.v1.IInstruction=} [p] Properties to set
             */
            function Instruction(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Instruction train.
             * @member {silo.v1.ITrainInstruction|null|undefined} train
             * @memberof silo.v1.Instruction
             * @instance
             */
            Instruction.prototype.train = null;

            /**
             * Instruction evaluate.
             * @member {silo.v1.IEvaluateInstruction|null|undefined} evaluate
             * @memberof silo.v1.Instruction
             * @instance
             */
            Instruction.prototype.evaluate = null;

            /**
             * Instruction ping.
             * @member {silo.v1.IPing|null|undefined} ping
             * @memberof silo.v1.Instruction
             * @instance
             */
            Instruction.prototype.ping = null;

            /**
             * Instruction secagg.
             * @member {silo.v1.ISecAggStep|null|undefined} secagg
             * @memberof silo.v1.Instruction
             * @instance
             */
            Instruction.prototype.secagg = null;

            /**
             * Instruction signature.
             * @member {silo.v1.IFlattenedJws|null|undefined} signature
             * @memberof silo.v1.Instruction
             * @instance
             */
            Instruction.prototype.signature = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * Instruction kind.
             * @member {"train"|"evaluate"|"ping"|"secagg"|undefined} kind
             * @memberof silo.v1.Instruction
             * @instance
             */
            Object.defineProperty(Instruction.prototype, "kind", {
                get: $util.oneOfGetter($oneOfFields = ["train", "evaluate", "ping", "secagg"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new Instruction instance using the specified properties.
             * @function create
             * @memberof silo.v1.Instruction
             * @static
             * @param {silo.v1.IInstruction=} [properties] Properties to set
             * @returns {silo.v1.Instruction} Instruction instance
             */
            Instruction.create = function create(properties) {
                return new Instruction(properties);
            };

            /**
             * Encodes the specified Instruction message. Does not implicitly {@link silo.v1.Instruction.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.Instruction
             * @static
             * @param {silo.v1.IInstruction} m Instruction message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Instruction.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.train != null && Object.hasOwnProperty.call(m, "train"))
                    $root.silo.v1.TrainInstruction.encode(m.train, w.uint32(10).fork(), q + 1).ldelim();
                if (m.evaluate != null && Object.hasOwnProperty.call(m, "evaluate"))
                    $root.silo.v1.EvaluateInstruction.encode(m.evaluate, w.uint32(18).fork(), q + 1).ldelim();
                if (m.ping != null && Object.hasOwnProperty.call(m, "ping"))
                    $root.silo.v1.Ping.encode(m.ping, w.uint32(26).fork(), q + 1).ldelim();
                if (m.signature != null && Object.hasOwnProperty.call(m, "signature"))
                    $root.silo.v1.FlattenedJws.encode(m.signature, w.uint32(34).fork(), q + 1).ldelim();
                if (m.secagg != null && Object.hasOwnProperty.call(m, "secagg"))
                    $root.silo.v1.SecAggStep.encode(m.secagg, w.uint32(42).fork(), q + 1).ldelim();
                return w;
            };

            /**
             * Decodes an Instruction message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.Instruction
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.Instruction} Instruction
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Instruction.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.Instruction();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.train = $root.silo.v1.TrainInstruction.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 2: {
                            m.evaluate = $root.silo.v1.EvaluateInstruction.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 3: {
                            m.ping = $root.silo.v1.Ping.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 5: {
                            m.secagg = $root.silo.v1.SecAggStep.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 4: {
                            m.signature = $root.silo.v1.FlattenedJws.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for Instruction
             * @function getTypeUrl
             * @memberof silo.v1.Instruction
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Instruction.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.Instruction";
            };

            return Instruction;
        })();

        v1.Hyperparameters = (function() {

            /**
             * Properties of a Hyperparameters.
             * @memberof silo.v1
             * @interface IHyperparameters
             * @property {number|null} [epochs] Hyperparameters epochs
             * @property {number|null} [batchSize] Hyperparameters batchSize
             * @property {number|null} [learningRate] Hyperparameters learningRate
             * @property {number|null} [seed] Hyperparameters seed
             */

            /**
             * Constructs a new Hyperparameters.
             * @memberof silo.v1
             * @classdesc Represents a Hyperparameters.
             * @implements IHyperparameters
             * @constructor
             * @param {silo.v1.IHyperparameters=} [p] Properties to set
             */
            function Hyperparameters(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Hyperparameters epochs.
             * @member {number} epochs
             * @memberof silo.v1.Hyperparameters
             * @instance
             */
            Hyperparameters.prototype.epochs = 0;

            /**
             * Hyperparameters batchSize.
             * @member {number} batchSize
             * @memberof silo.v1.Hyperparameters
             * @instance
             */
            Hyperparameters.prototype.batchSize = 0;

            /**
             * Hyperparameters learningRate.
             * @member {number} learningRate
             * @memberof silo.v1.Hyperparameters
             * @instance
             */
            Hyperparameters.prototype.learningRate = 0;

            /**
             * Hyperparameters seed.
             * @member {number} seed
             * @memberof silo.v1.Hyperparameters
             * @instance
             */
            Hyperparameters.prototype.seed = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new Hyperparameters instance using the specified properties.
             * @function create
             * @memberof silo.v1.Hyperparameters
             * @static
             * @param {silo.v1.IHyperparameters=} [properties] Properties to set
             * @returns {silo.v1.Hyperparameters} Hyperparameters instance
             */
            Hyperparameters.create = function create(properties) {
                return new Hyperparameters(properties);
            };

            /**
             * Encodes the specified Hyperparameters message. Does not implicitly {@link silo.v1.Hyperparameters.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.Hyperparameters
             * @static
             * @param {silo.v1.IHyperparameters} m Hyperparameters message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Hyperparameters.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.epochs != null && Object.hasOwnProperty.call(m, "epochs"))
                    w.uint32(8).uint32(m.epochs);
                if (m.batchSize != null && Object.hasOwnProperty.call(m, "batchSize"))
                    w.uint32(16).uint32(m.batchSize);
                if (m.learningRate != null && Object.hasOwnProperty.call(m, "learningRate"))
                    w.uint32(25).double(m.learningRate);
                if (m.seed != null && Object.hasOwnProperty.call(m, "seed"))
                    w.uint32(32).uint64(m.seed);
                return w;
            };

            /**
             * Decodes a Hyperparameters message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.Hyperparameters
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.Hyperparameters} Hyperparameters
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Hyperparameters.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.Hyperparameters();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.epochs = r.uint32();
                            break;
                        }
                    case 2: {
                            m.batchSize = r.uint32();
                            break;
                        }
                    case 3: {
                            m.learningRate = r.double();
                            break;
                        }
                    case 4: {
                            m.seed = r.uint64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for Hyperparameters
             * @function getTypeUrl
             * @memberof silo.v1.Hyperparameters
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Hyperparameters.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.Hyperparameters";
            };

            return Hyperparameters;
        })();

        v1.TrainInstruction = (function() {

            /**
             * Properties of a TrainInstruction.
             * @memberof silo.v1
             * @interface ITrainInstruction
             * @property {string|null} [runId] TrainInstruction runId
             * @property {number|null} [round] TrainInstruction round
             * @property {string|null} [baseDigest] TrainInstruction baseDigest
             * @property {string|null} [nonce] TrainInstruction nonce
             * @property {number|null} [deadlineUnixMs] TrainInstruction deadlineUnixMs
             * @property {string|null} [modelSpecJson] TrainInstruction modelSpecJson
             * @property {silo.v1.IHyperparameters|null} [hyperparameters] TrainInstruction hyperparameters
             * @property {string|null} [specDigest] TrainInstruction specDigest
             * @property {number|null} [numParams] TrainInstruction numParams
             * @property {string|null} [keyId] TrainInstruction keyId
             */

            /**
             * Constructs a new TrainInstruction.
             * @memberof silo.v1
             * @classdesc Represents a TrainInstruction.
             * @implements ITrainInstruction
             * @constructor
             * @param {silo.v1.ITrainInstruction=} [p] Properties to set
             */
            function TrainInstruction(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * TrainInstruction runId.
             * @member {string} runId
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.runId = "";

            /**
             * TrainInstruction round.
             * @member {number} round
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.round = 0;

            /**
             * TrainInstruction baseDigest.
             * @member {string} baseDigest
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.baseDigest = "";

            /**
             * TrainInstruction nonce.
             * @member {string} nonce
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.nonce = "";

            /**
             * TrainInstruction deadlineUnixMs.
             * @member {number} deadlineUnixMs
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.deadlineUnixMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * TrainInstruction modelSpecJson.
             * @member {string} modelSpecJson
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.modelSpecJson = "";

            /**
             * TrainInstruction hyperparameters.
             * @member {silo.v1.IHyperparameters|null|undefined} hyperparameters
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.hyperparameters = null;

            /**
             * TrainInstruction specDigest.
             * @member {string} specDigest
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.specDigest = "";

            /**
             * TrainInstruction numParams.
             * @member {number} numParams
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.numParams = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * TrainInstruction keyId.
             * @member {string} keyId
             * @memberof silo.v1.TrainInstruction
             * @instance
             */
            TrainInstruction.prototype.keyId = "";

            /**
             * Creates a new TrainInstruction instance using the specified properties.
             * @function create
             * @memberof silo.v1.TrainInstruction
             * @static
             * @param {silo.v1.ITrainInstruction=} [properties] Properties to set
             * @returns {silo.v1.TrainInstruction} TrainInstruction instance
             */
            TrainInstruction.create = function create(properties) {
                return new TrainInstruction(properties);
            };

            /**
             * Encodes the specified TrainInstruction message. Does not implicitly {@link silo.v1.TrainInstruction.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.TrainInstruction
             * @static
             * @param {silo.v1.ITrainInstruction} m TrainInstruction message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            TrainInstruction.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.runId != null && Object.hasOwnProperty.call(m, "runId"))
                    w.uint32(10).string(m.runId);
                if (m.round != null && Object.hasOwnProperty.call(m, "round"))
                    w.uint32(16).uint32(m.round);
                if (m.baseDigest != null && Object.hasOwnProperty.call(m, "baseDigest"))
                    w.uint32(26).string(m.baseDigest);
                if (m.nonce != null && Object.hasOwnProperty.call(m, "nonce"))
                    w.uint32(34).string(m.nonce);
                if (m.deadlineUnixMs != null && Object.hasOwnProperty.call(m, "deadlineUnixMs"))
                    w.uint32(40).uint64(m.deadlineUnixMs);
                if (m.modelSpecJson != null && Object.hasOwnProperty.call(m, "modelSpecJson"))
                    w.uint32(50).string(m.modelSpecJson);
                if (m.hyperparameters != null && Object.hasOwnProperty.call(m, "hyperparameters"))
                    $root.silo.v1.Hyperparameters.encode(m.hyperparameters, w.uint32(58).fork(), q + 1).ldelim();
                if (m.specDigest != null && Object.hasOwnProperty.call(m, "specDigest"))
                    w.uint32(66).string(m.specDigest);
                if (m.numParams != null && Object.hasOwnProperty.call(m, "numParams"))
                    w.uint32(72).uint64(m.numParams);
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(82).string(m.keyId);
                return w;
            };

            /**
             * Decodes a TrainInstruction message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.TrainInstruction
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.TrainInstruction} TrainInstruction
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            TrainInstruction.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.TrainInstruction();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.runId = r.string();
                            break;
                        }
                    case 2: {
                            m.round = r.uint32();
                            break;
                        }
                    case 3: {
                            m.baseDigest = r.string();
                            break;
                        }
                    case 4: {
                            m.nonce = r.string();
                            break;
                        }
                    case 5: {
                            m.deadlineUnixMs = r.uint64();
                            break;
                        }
                    case 6: {
                            m.modelSpecJson = r.string();
                            break;
                        }
                    case 7: {
                            m.hyperparameters = $root.silo.v1.Hyperparameters.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 8: {
                            m.specDigest = r.string();
                            break;
                        }
                    case 9: {
                            m.numParams = r.uint64();
                            break;
                        }
                    case 10: {
                            m.keyId = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for TrainInstruction
             * @function getTypeUrl
             * @memberof silo.v1.TrainInstruction
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            TrainInstruction.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.TrainInstruction";
            };

            return TrainInstruction;
        })();

        v1.EvaluateInstruction = (function() {

            /**
             * Properties of an EvaluateInstruction.
             * @memberof silo.v1
             * @interface IEvaluateInstruction
             * @property {string|null} [runId] EvaluateInstruction runId
             * @property {number|null} [round] EvaluateInstruction round
             * @property {string|null} [baseDigest] EvaluateInstruction baseDigest
             * @property {string|null} [nonce] EvaluateInstruction nonce
             * @property {number|null} [deadlineUnixMs] EvaluateInstruction deadlineUnixMs
             * @property {string|null} [modelSpecJson] EvaluateInstruction modelSpecJson
             * @property {string|null} [specDigest] EvaluateInstruction specDigest
             * @property {number|null} [numParams] EvaluateInstruction numParams
             * @property {string|null} [keyId] EvaluateInstruction keyId
             */

            /**
             * Constructs a new EvaluateInstruction.
             * @memberof silo.v1
             * @classdesc Represents an EvaluateInstruction.
             * @implements IEvaluateInstruction
             * @constructor
             * @param {silo.v1.IEvaluateInstruction=} [p] Properties to set
             */
            function EvaluateInstruction(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * EvaluateInstruction runId.
             * @member {string} runId
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.runId = "";

            /**
             * EvaluateInstruction round.
             * @member {number} round
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.round = 0;

            /**
             * EvaluateInstruction baseDigest.
             * @member {string} baseDigest
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.baseDigest = "";

            /**
             * EvaluateInstruction nonce.
             * @member {string} nonce
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.nonce = "";

            /**
             * EvaluateInstruction deadlineUnixMs.
             * @member {number} deadlineUnixMs
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.deadlineUnixMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * EvaluateInstruction modelSpecJson.
             * @member {string} modelSpecJson
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.modelSpecJson = "";

            /**
             * EvaluateInstruction specDigest.
             * @member {string} specDigest
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.specDigest = "";

            /**
             * EvaluateInstruction numParams.
             * @member {number} numParams
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.numParams = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * EvaluateInstruction keyId.
             * @member {string} keyId
             * @memberof silo.v1.EvaluateInstruction
             * @instance
             */
            EvaluateInstruction.prototype.keyId = "";

            /**
             * Creates a new EvaluateInstruction instance using the specified properties.
             * @function create
             * @memberof silo.v1.EvaluateInstruction
             * @static
             * @param {silo.v1.IEvaluateInstruction=} [properties] Properties to set
             * @returns {silo.v1.EvaluateInstruction} EvaluateInstruction instance
             */
            EvaluateInstruction.create = function create(properties) {
                return new EvaluateInstruction(properties);
            };

            /**
             * Encodes the specified EvaluateInstruction message. Does not implicitly {@link silo.v1.EvaluateInstruction.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.EvaluateInstruction
             * @static
             * @param {silo.v1.IEvaluateInstruction} m EvaluateInstruction message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            EvaluateInstruction.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.runId != null && Object.hasOwnProperty.call(m, "runId"))
                    w.uint32(10).string(m.runId);
                if (m.round != null && Object.hasOwnProperty.call(m, "round"))
                    w.uint32(16).uint32(m.round);
                if (m.baseDigest != null && Object.hasOwnProperty.call(m, "baseDigest"))
                    w.uint32(26).string(m.baseDigest);
                if (m.nonce != null && Object.hasOwnProperty.call(m, "nonce"))
                    w.uint32(34).string(m.nonce);
                if (m.deadlineUnixMs != null && Object.hasOwnProperty.call(m, "deadlineUnixMs"))
                    w.uint32(40).uint64(m.deadlineUnixMs);
                if (m.modelSpecJson != null && Object.hasOwnProperty.call(m, "modelSpecJson"))
                    w.uint32(50).string(m.modelSpecJson);
                if (m.specDigest != null && Object.hasOwnProperty.call(m, "specDigest"))
                    w.uint32(58).string(m.specDigest);
                if (m.numParams != null && Object.hasOwnProperty.call(m, "numParams"))
                    w.uint32(64).uint64(m.numParams);
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(74).string(m.keyId);
                return w;
            };

            /**
             * Decodes an EvaluateInstruction message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.EvaluateInstruction
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.EvaluateInstruction} EvaluateInstruction
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            EvaluateInstruction.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.EvaluateInstruction();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.runId = r.string();
                            break;
                        }
                    case 2: {
                            m.round = r.uint32();
                            break;
                        }
                    case 3: {
                            m.baseDigest = r.string();
                            break;
                        }
                    case 4: {
                            m.nonce = r.string();
                            break;
                        }
                    case 5: {
                            m.deadlineUnixMs = r.uint64();
                            break;
                        }
                    case 6: {
                            m.modelSpecJson = r.string();
                            break;
                        }
                    case 7: {
                            m.specDigest = r.string();
                            break;
                        }
                    case 8: {
                            m.numParams = r.uint64();
                            break;
                        }
                    case 9: {
                            m.keyId = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for EvaluateInstruction
             * @function getTypeUrl
             * @memberof silo.v1.EvaluateInstruction
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            EvaluateInstruction.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.EvaluateInstruction";
            };

            return EvaluateInstruction;
        })();

        v1.SecAggStep = (function() {

            /**
             * Properties of a SecAggStep.
             * @memberof silo.v1
             * @interface ISecAggStep
             * @property {string|null} [runId] SecAggStep runId
             * @property {number|null} [round] SecAggStep round
             * @property {string|null} [keyId] SecAggStep keyId
             * @property {string|null} [step] SecAggStep step
             */

            /**
             * Constructs a new SecAggStep.
             * @memberof silo.v1
             * @classdesc Represents a SecAggStep.
             * @implements ISecAggStep
             * @constructor
             * @param {silo.v1.ISecAggStep=} [p] Properties to set
             */
            function SecAggStep(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * SecAggStep runId.
             * @member {string} runId
             * @memberof silo.v1.SecAggStep
             * @instance
             */
            SecAggStep.prototype.runId = "";

            /**
             * SecAggStep round.
             * @member {number} round
             * @memberof silo.v1.SecAggStep
             * @instance
             */
            SecAggStep.prototype.round = 0;

            /**
             * SecAggStep keyId.
             * @member {string} keyId
             * @memberof silo.v1.SecAggStep
             * @instance
             */
            SecAggStep.prototype.keyId = "";

            /**
             * SecAggStep step.
             * @member {string} step
             * @memberof silo.v1.SecAggStep
             * @instance
             */
            SecAggStep.prototype.step = "";

            /**
             * Creates a new SecAggStep instance using the specified properties.
             * @function create
             * @memberof silo.v1.SecAggStep
             * @static
             * @param {silo.v1.ISecAggStep=} [properties] Properties to set
             * @returns {silo.v1.SecAggStep} SecAggStep instance
             */
            SecAggStep.create = function create(properties) {
                return new SecAggStep(properties);
            };

            /**
             * Encodes the specified SecAggStep message. Does not implicitly {@link silo.v1.SecAggStep.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.SecAggStep
             * @static
             * @param {silo.v1.ISecAggStep} m SecAggStep message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            SecAggStep.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.runId != null && Object.hasOwnProperty.call(m, "runId"))
                    w.uint32(10).string(m.runId);
                if (m.round != null && Object.hasOwnProperty.call(m, "round"))
                    w.uint32(16).uint32(m.round);
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(26).string(m.keyId);
                if (m.step != null && Object.hasOwnProperty.call(m, "step"))
                    w.uint32(34).string(m.step);
                return w;
            };

            /**
             * Decodes a SecAggStep message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.SecAggStep
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.SecAggStep} SecAggStep
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            SecAggStep.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.SecAggStep();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.runId = r.string();
                            break;
                        }
                    case 2: {
                            m.round = r.uint32();
                            break;
                        }
                    case 3: {
                            m.keyId = r.string();
                            break;
                        }
                    case 4: {
                            m.step = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for SecAggStep
             * @function getTypeUrl
             * @memberof silo.v1.SecAggStep
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            SecAggStep.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.SecAggStep";
            };

            return SecAggStep;
        })();

        v1.SecAggMessage = (function() {

            /**
             * Properties of a SecAggMessage.
             * @memberof silo.v1
             * @interface ISecAggMessage
             * @property {silo.v1.IFlattenedJws|null} [message] SecAggMessage message
             */

            /**
             * Constructs a new SecAggMessage.
             * @memberof silo.v1
             * @classdesc Represents a SecAggMessage.
             * @implements ISecAggMessage
             * @constructor
             * @param {silo.v1.ISecAggMessage=} [p] Properties to set
             */
            function SecAggMessage(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * SecAggMessage message.
             * @member {silo.v1.IFlattenedJws|null|undefined} message
             * @memberof silo.v1.SecAggMessage
             * @instance
             */
            SecAggMessage.prototype.message = null;

            /**
             * Creates a new SecAggMessage instance using the specified properties.
             * @function create
             * @memberof silo.v1.SecAggMessage
             * @static
             * @param {silo.v1.ISecAggMessage=} [properties] Properties to set
             * @returns {silo.v1.SecAggMessage} SecAggMessage instance
             */
            SecAggMessage.create = function create(properties) {
                return new SecAggMessage(properties);
            };

            /**
             * Encodes the specified SecAggMessage message. Does not implicitly {@link silo.v1.SecAggMessage.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.SecAggMessage
             * @static
             * @param {silo.v1.ISecAggMessage} m SecAggMessage message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            SecAggMessage.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.message != null && Object.hasOwnProperty.call(m, "message"))
                    $root.silo.v1.FlattenedJws.encode(m.message, w.uint32(10).fork(), q + 1).ldelim();
                return w;
            };

            /**
             * Decodes a SecAggMessage message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.SecAggMessage
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.SecAggMessage} SecAggMessage
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            SecAggMessage.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.SecAggMessage();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.message = $root.silo.v1.FlattenedJws.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for SecAggMessage
             * @function getTypeUrl
             * @memberof silo.v1.SecAggMessage
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            SecAggMessage.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.SecAggMessage";
            };

            return SecAggMessage;
        })();

        v1.Ping = (function() {

            /**
             * Properties of a Ping.
             * @memberof silo.v1
             * @interface IPing
             * @property {number|null} [unixMs] Ping unixMs
             */

            /**
             * Constructs a new Ping.
             * @memberof silo.v1
             * @classdesc Represents a Ping.
             * @implements IPing
             * @constructor
             * @param {silo.v1.IPing=} [p] Properties to set
             */
            function Ping(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Ping unixMs.
             * @member {number} unixMs
             * @memberof silo.v1.Ping
             * @instance
             */
            Ping.prototype.unixMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new Ping instance using the specified properties.
             * @function create
             * @memberof silo.v1.Ping
             * @static
             * @param {silo.v1.IPing=} [properties] Properties to set
             * @returns {silo.v1.Ping} Ping instance
             */
            Ping.create = function create(properties) {
                return new Ping(properties);
            };

            /**
             * Encodes the specified Ping message. Does not implicitly {@link silo.v1.Ping.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.Ping
             * @static
             * @param {silo.v1.IPing} m Ping message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Ping.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.unixMs != null && Object.hasOwnProperty.call(m, "unixMs"))
                    w.uint32(8).uint64(m.unixMs);
                return w;
            };

            /**
             * Decodes a Ping message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.Ping
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.Ping} Ping
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Ping.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.Ping();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.unixMs = r.uint64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for Ping
             * @function getTypeUrl
             * @memberof silo.v1.Ping
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Ping.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.Ping";
            };

            return Ping;
        })();

        v1.FetchModelRequest = (function() {

            /**
             * Properties of a FetchModelRequest.
             * @memberof silo.v1
             * @interface IFetchModelRequest
             * @property {string|null} [runId] FetchModelRequest runId
             * @property {number|null} [round] FetchModelRequest round
             * @property {string|null} [keyId] FetchModelRequest keyId
             * @property {number|null} [chunkBytes] FetchModelRequest chunkBytes
             * @property {boolean|null} [evaluation] FetchModelRequest evaluation
             */

            /**
             * Constructs a new FetchModelRequest.
             * @memberof silo.v1
             * @classdesc Represents a FetchModelRequest.
             * @implements IFetchModelRequest
             * @constructor
             * @param {silo.v1.IFetchModelRequest=} [p] Properties to set
             */
            function FetchModelRequest(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * FetchModelRequest runId.
             * @member {string} runId
             * @memberof silo.v1.FetchModelRequest
             * @instance
             */
            FetchModelRequest.prototype.runId = "";

            /**
             * FetchModelRequest round.
             * @member {number} round
             * @memberof silo.v1.FetchModelRequest
             * @instance
             */
            FetchModelRequest.prototype.round = 0;

            /**
             * FetchModelRequest keyId.
             * @member {string} keyId
             * @memberof silo.v1.FetchModelRequest
             * @instance
             */
            FetchModelRequest.prototype.keyId = "";

            /**
             * FetchModelRequest chunkBytes.
             * @member {number} chunkBytes
             * @memberof silo.v1.FetchModelRequest
             * @instance
             */
            FetchModelRequest.prototype.chunkBytes = 0;

            /**
             * FetchModelRequest evaluation.
             * @member {boolean} evaluation
             * @memberof silo.v1.FetchModelRequest
             * @instance
             */
            FetchModelRequest.prototype.evaluation = false;

            /**
             * Creates a new FetchModelRequest instance using the specified properties.
             * @function create
             * @memberof silo.v1.FetchModelRequest
             * @static
             * @param {silo.v1.IFetchModelRequest=} [properties] Properties to set
             * @returns {silo.v1.FetchModelRequest} FetchModelRequest instance
             */
            FetchModelRequest.create = function create(properties) {
                return new FetchModelRequest(properties);
            };

            /**
             * Encodes the specified FetchModelRequest message. Does not implicitly {@link silo.v1.FetchModelRequest.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.FetchModelRequest
             * @static
             * @param {silo.v1.IFetchModelRequest} m FetchModelRequest message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            FetchModelRequest.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.runId != null && Object.hasOwnProperty.call(m, "runId"))
                    w.uint32(10).string(m.runId);
                if (m.round != null && Object.hasOwnProperty.call(m, "round"))
                    w.uint32(16).uint32(m.round);
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(26).string(m.keyId);
                if (m.chunkBytes != null && Object.hasOwnProperty.call(m, "chunkBytes"))
                    w.uint32(32).uint32(m.chunkBytes);
                if (m.evaluation != null && Object.hasOwnProperty.call(m, "evaluation"))
                    w.uint32(40).bool(m.evaluation);
                return w;
            };

            /**
             * Decodes a FetchModelRequest message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.FetchModelRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.FetchModelRequest} FetchModelRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            FetchModelRequest.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.FetchModelRequest();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.runId = r.string();
                            break;
                        }
                    case 2: {
                            m.round = r.uint32();
                            break;
                        }
                    case 3: {
                            m.keyId = r.string();
                            break;
                        }
                    case 4: {
                            m.chunkBytes = r.uint32();
                            break;
                        }
                    case 5: {
                            m.evaluation = r.bool();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for FetchModelRequest
             * @function getTypeUrl
             * @memberof silo.v1.FetchModelRequest
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            FetchModelRequest.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.FetchModelRequest";
            };

            return FetchModelRequest;
        })();

        v1.TensorSpec = (function() {

            /**
             * Properties of a TensorSpec.
             * @memberof silo.v1
             * @interface ITensorSpec
             * @property {string|null} [name] TensorSpec name
             * @property {Array.<number>|null} [shape] TensorSpec shape
             */

            /**
             * Constructs a new TensorSpec.
             * @memberof silo.v1
             * @classdesc Represents a TensorSpec.
             * @implements ITensorSpec
             * @constructor
             * @param {silo.v1.ITensorSpec=} [p] Properties to set
             */
            function TensorSpec(p) {
                this.shape = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * TensorSpec name.
             * @member {string} name
             * @memberof silo.v1.TensorSpec
             * @instance
             */
            TensorSpec.prototype.name = "";

            /**
             * TensorSpec shape.
             * @member {Array.<number>} shape
             * @memberof silo.v1.TensorSpec
             * @instance
             */
            TensorSpec.prototype.shape = $util.emptyArray;

            /**
             * Creates a new TensorSpec instance using the specified properties.
             * @function create
             * @memberof silo.v1.TensorSpec
             * @static
             * @param {silo.v1.ITensorSpec=} [properties] Properties to set
             * @returns {silo.v1.TensorSpec} TensorSpec instance
             */
            TensorSpec.create = function create(properties) {
                return new TensorSpec(properties);
            };

            /**
             * Encodes the specified TensorSpec message. Does not implicitly {@link silo.v1.TensorSpec.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.TensorSpec
             * @static
             * @param {silo.v1.ITensorSpec} m TensorSpec message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            TensorSpec.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.name != null && Object.hasOwnProperty.call(m, "name"))
                    w.uint32(10).string(m.name);
                if (m.shape != null && m.shape.length) {
                    w.uint32(18).fork();
                    for (var i = 0; i < m.shape.length; ++i)
                        w.uint32(m.shape[i]);
                    w.ldelim();
                }
                return w;
            };

            /**
             * Decodes a TensorSpec message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.TensorSpec
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.TensorSpec} TensorSpec
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            TensorSpec.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.TensorSpec();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.name = r.string();
                            break;
                        }
                    case 2: {
                            if (!(m.shape && m.shape.length))
                                m.shape = [];
                            if ((t & 7) === 2) {
                                var c2 = r.uint32() + r.pos;
                                if (c2 > r.len)
                                    throw RangeError("index out of range");
                                r.len = c2;
                                while (r.pos < c2)
                                    m.shape.push(r.uint32());
                                if (r.pos !== c2)
                                    throw RangeError("index out of range");
                                r.len = c;
                            } else
                                m.shape.push(r.uint32());
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for TensorSpec
             * @function getTypeUrl
             * @memberof silo.v1.TensorSpec
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            TensorSpec.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.TensorSpec";
            };

            return TensorSpec;
        })();

        v1.ModelHeader = (function() {

            /**
             * Properties of a ModelHeader.
             * @memberof silo.v1
             * @interface IModelHeader
             * @property {string|null} [digest] ModelHeader digest
             * @property {number|null} [totalBytes] ModelHeader totalBytes
             * @property {Array.<silo.v1.ITensorSpec>|null} [layout] ModelHeader layout
             * @property {number|null} [chunkBytes] ModelHeader chunkBytes
             */

            /**
             * Constructs a new ModelHeader.
             * @memberof silo.v1
             * @classdesc Represents a ModelHeader.
             * @implements IModelHeader
             * @constructor
             * @param {silo.v1.IModelHeader=} [p] Properties to set
             */
            function ModelHeader(p) {
                this.layout = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ModelHeader digest.
             * @member {string} digest
             * @memberof silo.v1.ModelHeader
             * @instance
             */
            ModelHeader.prototype.digest = "";

            /**
             * ModelHeader totalBytes.
             * @member {number} totalBytes
             * @memberof silo.v1.ModelHeader
             * @instance
             */
            ModelHeader.prototype.totalBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * ModelHeader layout.
             * @member {Array.<silo.v1.ITensorSpec>} layout
             * @memberof silo.v1.ModelHeader
             * @instance
             */
            ModelHeader.prototype.layout = $util.emptyArray;

            /**
             * ModelHeader chunkBytes.
             * @member {number} chunkBytes
             * @memberof silo.v1.ModelHeader
             * @instance
             */
            ModelHeader.prototype.chunkBytes = 0;

            /**
             * Creates a new ModelHeader instance using the specified properties.
             * @function create
             * @memberof silo.v1.ModelHeader
             * @static
             * @param {silo.v1.IModelHeader=} [properties] Properties to set
             * @returns {silo.v1.ModelHeader} ModelHeader instance
             */
            ModelHeader.create = function create(properties) {
                return new ModelHeader(properties);
            };

            /**
             * Encodes the specified ModelHeader message. Does not implicitly {@link silo.v1.ModelHeader.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.ModelHeader
             * @static
             * @param {silo.v1.IModelHeader} m ModelHeader message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ModelHeader.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.digest != null && Object.hasOwnProperty.call(m, "digest"))
                    w.uint32(10).string(m.digest);
                if (m.totalBytes != null && Object.hasOwnProperty.call(m, "totalBytes"))
                    w.uint32(16).uint64(m.totalBytes);
                if (m.layout != null && m.layout.length) {
                    for (var i = 0; i < m.layout.length; ++i)
                        $root.silo.v1.TensorSpec.encode(m.layout[i], w.uint32(26).fork(), q + 1).ldelim();
                }
                if (m.chunkBytes != null && Object.hasOwnProperty.call(m, "chunkBytes"))
                    w.uint32(32).uint32(m.chunkBytes);
                return w;
            };

            /**
             * Decodes a ModelHeader message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.ModelHeader
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.ModelHeader} ModelHeader
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ModelHeader.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.ModelHeader();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.digest = r.string();
                            break;
                        }
                    case 2: {
                            m.totalBytes = r.uint64();
                            break;
                        }
                    case 3: {
                            if (!(m.layout && m.layout.length))
                                m.layout = [];
                            m.layout.push($root.silo.v1.TensorSpec.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    case 4: {
                            m.chunkBytes = r.uint32();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for ModelHeader
             * @function getTypeUrl
             * @memberof silo.v1.ModelHeader
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ModelHeader.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.ModelHeader";
            };

            return ModelHeader;
        })();

        v1.ModelChunk = (function() {

            /**
             * Properties of a ModelChunk.
             * @memberof silo.v1
             * @interface IModelChunk
             * @property {silo.v1.IModelHeader|null} [header] ModelChunk header
             * @property {Uint8Array|null} [data] ModelChunk data
             */

            /**
             * Constructs a new ModelChunk.
             * @memberof silo.v1
             * @classdesc Represents a ModelChunk.
             * @implements IModelChunk
             * @constructor
             * @param {silo.v1.IModelChunk=} [p] Properties to set
             */
            function ModelChunk(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ModelChunk header.
             * @member {silo.v1.IModelHeader|null|undefined} header
             * @memberof silo.v1.ModelChunk
             * @instance
             */
            ModelChunk.prototype.header = null;

            /**
             * ModelChunk data.
             * @member {Uint8Array|null|undefined} data
             * @memberof silo.v1.ModelChunk
             * @instance
             */
            ModelChunk.prototype.data = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * ModelChunk part.
             * @member {"header"|"data"|undefined} part
             * @memberof silo.v1.ModelChunk
             * @instance
             */
            Object.defineProperty(ModelChunk.prototype, "part", {
                get: $util.oneOfGetter($oneOfFields = ["header", "data"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new ModelChunk instance using the specified properties.
             * @function create
             * @memberof silo.v1.ModelChunk
             * @static
             * @param {silo.v1.IModelChunk=} [properties] Properties to set
             * @returns {silo.v1.ModelChunk} ModelChunk instance
             */
            ModelChunk.create = function create(properties) {
                return new ModelChunk(properties);
            };

            /**
             * Encodes the specified ModelChunk message. Does not implicitly {@link silo.v1.ModelChunk.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.ModelChunk
             * @static
             * @param {silo.v1.IModelChunk} m ModelChunk message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ModelChunk.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.header != null && Object.hasOwnProperty.call(m, "header"))
                    $root.silo.v1.ModelHeader.encode(m.header, w.uint32(10).fork(), q + 1).ldelim();
                if (m.data != null && Object.hasOwnProperty.call(m, "data"))
                    w.uint32(18).bytes(m.data);
                return w;
            };

            /**
             * Decodes a ModelChunk message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.ModelChunk
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.ModelChunk} ModelChunk
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ModelChunk.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.ModelChunk();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.header = $root.silo.v1.ModelHeader.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 2: {
                            m.data = r.bytes();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for ModelChunk
             * @function getTypeUrl
             * @memberof silo.v1.ModelChunk
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ModelChunk.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.ModelChunk";
            };

            return ModelChunk;
        })();

        v1.UpdatePart = (function() {

            /**
             * Properties of an UpdatePart.
             * @memberof silo.v1
             * @interface IUpdatePart
             * @property {silo.v1.IFlattenedJws|null} [manifest] UpdatePart manifest
             * @property {Uint8Array|null} [data] UpdatePart data
             */

            /**
             * Constructs a new UpdatePart.
             * @memberof silo.v1
             * @classdesc Represents an UpdatePart.
             * @implements IUpdatePart
             * @constructor
             * @param {silo.v1.IUpdatePart=} [p] Properties to set
             */
            function UpdatePart(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * UpdatePart manifest.
             * @member {silo.v1.IFlattenedJws|null|undefined} manifest
             * @memberof silo.v1.UpdatePart
             * @instance
             */
            UpdatePart.prototype.manifest = null;

            /**
             * UpdatePart data.
             * @member {Uint8Array|null|undefined} data
             * @memberof silo.v1.UpdatePart
             * @instance
             */
            UpdatePart.prototype.data = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * UpdatePart part.
             * @member {"manifest"|"data"|undefined} part
             * @memberof silo.v1.UpdatePart
             * @instance
             */
            Object.defineProperty(UpdatePart.prototype, "part", {
                get: $util.oneOfGetter($oneOfFields = ["manifest", "data"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new UpdatePart instance using the specified properties.
             * @function create
             * @memberof silo.v1.UpdatePart
             * @static
             * @param {silo.v1.IUpdatePart=} [properties] Properties to set
             * @returns {silo.v1.UpdatePart} UpdatePart instance
             */
            UpdatePart.create = function create(properties) {
                return new UpdatePart(properties);
            };

            /**
             * Encodes the specified UpdatePart message. Does not implicitly {@link silo.v1.UpdatePart.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.UpdatePart
             * @static
             * @param {silo.v1.IUpdatePart} m UpdatePart message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            UpdatePart.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.manifest != null && Object.hasOwnProperty.call(m, "manifest"))
                    $root.silo.v1.FlattenedJws.encode(m.manifest, w.uint32(10).fork(), q + 1).ldelim();
                if (m.data != null && Object.hasOwnProperty.call(m, "data"))
                    w.uint32(18).bytes(m.data);
                return w;
            };

            /**
             * Decodes an UpdatePart message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.UpdatePart
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.UpdatePart} UpdatePart
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            UpdatePart.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.UpdatePart();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.manifest = $root.silo.v1.FlattenedJws.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 2: {
                            m.data = r.bytes();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for UpdatePart
             * @function getTypeUrl
             * @memberof silo.v1.UpdatePart
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            UpdatePart.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.UpdatePart";
            };

            return UpdatePart;
        })();

        v1.Receipt = (function() {

            /**
             * Properties of a Receipt.
             * @memberof silo.v1
             * @interface IReceipt
             * @property {string|null} [runId] Receipt runId
             * @property {number|null} [round] Receipt round
             * @property {string|null} [keyId] Receipt keyId
             * @property {string|null} [updateDigest] Receipt updateDigest
             * @property {number|null} [acceptedUnixMs] Receipt acceptedUnixMs
             * @property {boolean|null} [duplicate] Receipt duplicate
             * @property {number|null} [acceptedInRound] Receipt acceptedInRound
             * @property {number|null} [entryIndex] Receipt entryIndex
             */

            /**
             * Constructs a new Receipt.
             * @memberof silo.v1
             * @classdesc Represents a Receipt.
             * @implements IReceipt
             * @constructor
             * @param {silo.v1.IReceipt=} [p] Properties to set
             */
            function Receipt(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Receipt runId.
             * @member {string} runId
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.runId = "";

            /**
             * Receipt round.
             * @member {number} round
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.round = 0;

            /**
             * Receipt keyId.
             * @member {string} keyId
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.keyId = "";

            /**
             * Receipt updateDigest.
             * @member {string} updateDigest
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.updateDigest = "";

            /**
             * Receipt acceptedUnixMs.
             * @member {number} acceptedUnixMs
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.acceptedUnixMs = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Receipt duplicate.
             * @member {boolean} duplicate
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.duplicate = false;

            /**
             * Receipt acceptedInRound.
             * @member {number} acceptedInRound
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.acceptedInRound = 0;

            /**
             * Receipt entryIndex.
             * @member {number} entryIndex
             * @memberof silo.v1.Receipt
             * @instance
             */
            Receipt.prototype.entryIndex = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Creates a new Receipt instance using the specified properties.
             * @function create
             * @memberof silo.v1.Receipt
             * @static
             * @param {silo.v1.IReceipt=} [properties] Properties to set
             * @returns {silo.v1.Receipt} Receipt instance
             */
            Receipt.create = function create(properties) {
                return new Receipt(properties);
            };

            /**
             * Encodes the specified Receipt message. Does not implicitly {@link silo.v1.Receipt.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.Receipt
             * @static
             * @param {silo.v1.IReceipt} m Receipt message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Receipt.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.runId != null && Object.hasOwnProperty.call(m, "runId"))
                    w.uint32(10).string(m.runId);
                if (m.round != null && Object.hasOwnProperty.call(m, "round"))
                    w.uint32(16).uint32(m.round);
                if (m.keyId != null && Object.hasOwnProperty.call(m, "keyId"))
                    w.uint32(26).string(m.keyId);
                if (m.updateDigest != null && Object.hasOwnProperty.call(m, "updateDigest"))
                    w.uint32(34).string(m.updateDigest);
                if (m.acceptedUnixMs != null && Object.hasOwnProperty.call(m, "acceptedUnixMs"))
                    w.uint32(40).uint64(m.acceptedUnixMs);
                if (m.duplicate != null && Object.hasOwnProperty.call(m, "duplicate"))
                    w.uint32(48).bool(m.duplicate);
                if (m.acceptedInRound != null && Object.hasOwnProperty.call(m, "acceptedInRound"))
                    w.uint32(56).uint32(m.acceptedInRound);
                if (m.entryIndex != null && Object.hasOwnProperty.call(m, "entryIndex"))
                    w.uint32(64).uint64(m.entryIndex);
                return w;
            };

            /**
             * Decodes a Receipt message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.Receipt
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.Receipt} Receipt
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Receipt.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.Receipt();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.runId = r.string();
                            break;
                        }
                    case 2: {
                            m.round = r.uint32();
                            break;
                        }
                    case 3: {
                            m.keyId = r.string();
                            break;
                        }
                    case 4: {
                            m.updateDigest = r.string();
                            break;
                        }
                    case 5: {
                            m.acceptedUnixMs = r.uint64();
                            break;
                        }
                    case 6: {
                            m.duplicate = r.bool();
                            break;
                        }
                    case 7: {
                            m.acceptedInRound = r.uint32();
                            break;
                        }
                    case 8: {
                            m.entryIndex = r.uint64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for Receipt
             * @function getTypeUrl
             * @memberof silo.v1.Receipt
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Receipt.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.Receipt";
            };

            return Receipt;
        })();

        v1.ReceiptRequest = (function() {

            /**
             * Properties of a ReceiptRequest.
             * @memberof silo.v1
             * @interface IReceiptRequest
             * @property {number|null} [entryIndex] ReceiptRequest entryIndex
             * @property {string|null} [updateDigest] ReceiptRequest updateDigest
             */

            /**
             * Constructs a new ReceiptRequest.
             * @memberof silo.v1
             * @classdesc Represents a ReceiptRequest.
             * @implements IReceiptRequest
             * @constructor
             * @param {silo.v1.IReceiptRequest=} [p] Properties to set
             */
            function ReceiptRequest(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ReceiptRequest entryIndex.
             * @member {number} entryIndex
             * @memberof silo.v1.ReceiptRequest
             * @instance
             */
            ReceiptRequest.prototype.entryIndex = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * ReceiptRequest updateDigest.
             * @member {string} updateDigest
             * @memberof silo.v1.ReceiptRequest
             * @instance
             */
            ReceiptRequest.prototype.updateDigest = "";

            /**
             * Creates a new ReceiptRequest instance using the specified properties.
             * @function create
             * @memberof silo.v1.ReceiptRequest
             * @static
             * @param {silo.v1.IReceiptRequest=} [properties] Properties to set
             * @returns {silo.v1.ReceiptRequest} ReceiptRequest instance
             */
            ReceiptRequest.create = function create(properties) {
                return new ReceiptRequest(properties);
            };

            /**
             * Encodes the specified ReceiptRequest message. Does not implicitly {@link silo.v1.ReceiptRequest.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.ReceiptRequest
             * @static
             * @param {silo.v1.IReceiptRequest} m ReceiptRequest message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ReceiptRequest.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.entryIndex != null && Object.hasOwnProperty.call(m, "entryIndex"))
                    w.uint32(8).uint64(m.entryIndex);
                if (m.updateDigest != null && Object.hasOwnProperty.call(m, "updateDigest"))
                    w.uint32(18).string(m.updateDigest);
                return w;
            };

            /**
             * Decodes a ReceiptRequest message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.ReceiptRequest
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.ReceiptRequest} ReceiptRequest
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ReceiptRequest.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.ReceiptRequest();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.entryIndex = r.uint64();
                            break;
                        }
                    case 2: {
                            m.updateDigest = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for ReceiptRequest
             * @function getTypeUrl
             * @memberof silo.v1.ReceiptRequest
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ReceiptRequest.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.ReceiptRequest";
            };

            return ReceiptRequest;
        })();

        v1.LedgerReceipt = (function() {

            /**
             * Properties of a LedgerReceipt.
             * @memberof silo.v1
             * @interface ILedgerReceipt
             * @property {number|null} [entryIndex] LedgerReceipt entryIndex
             * @property {Uint8Array|null} [entry] LedgerReceipt entry
             * @property {string|null} [checkpoint] LedgerReceipt checkpoint
             * @property {number|null} [treeSize] LedgerReceipt treeSize
             * @property {Array.<Uint8Array>|null} [proof] LedgerReceipt proof
             */

            /**
             * Constructs a new LedgerReceipt.
             * @memberof silo.v1
             * @classdesc Represents a LedgerReceipt.
             * @implements ILedgerReceipt
             * @constructor
             * @param {silo.v1.ILedgerReceipt=} [p] Properties to set
             */
            function LedgerReceipt(p) {
                this.proof = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * LedgerReceipt entryIndex.
             * @member {number} entryIndex
             * @memberof silo.v1.LedgerReceipt
             * @instance
             */
            LedgerReceipt.prototype.entryIndex = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * LedgerReceipt entry.
             * @member {Uint8Array} entry
             * @memberof silo.v1.LedgerReceipt
             * @instance
             */
            LedgerReceipt.prototype.entry = $util.newBuffer([]);

            /**
             * LedgerReceipt checkpoint.
             * @member {string} checkpoint
             * @memberof silo.v1.LedgerReceipt
             * @instance
             */
            LedgerReceipt.prototype.checkpoint = "";

            /**
             * LedgerReceipt treeSize.
             * @member {number} treeSize
             * @memberof silo.v1.LedgerReceipt
             * @instance
             */
            LedgerReceipt.prototype.treeSize = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * LedgerReceipt proof.
             * @member {Array.<Uint8Array>} proof
             * @memberof silo.v1.LedgerReceipt
             * @instance
             */
            LedgerReceipt.prototype.proof = $util.emptyArray;

            /**
             * Creates a new LedgerReceipt instance using the specified properties.
             * @function create
             * @memberof silo.v1.LedgerReceipt
             * @static
             * @param {silo.v1.ILedgerReceipt=} [properties] Properties to set
             * @returns {silo.v1.LedgerReceipt} LedgerReceipt instance
             */
            LedgerReceipt.create = function create(properties) {
                return new LedgerReceipt(properties);
            };

            /**
             * Encodes the specified LedgerReceipt message. Does not implicitly {@link silo.v1.LedgerReceipt.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.LedgerReceipt
             * @static
             * @param {silo.v1.ILedgerReceipt} m LedgerReceipt message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            LedgerReceipt.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.entryIndex != null && Object.hasOwnProperty.call(m, "entryIndex"))
                    w.uint32(8).uint64(m.entryIndex);
                if (m.entry != null && Object.hasOwnProperty.call(m, "entry"))
                    w.uint32(18).bytes(m.entry);
                if (m.checkpoint != null && Object.hasOwnProperty.call(m, "checkpoint"))
                    w.uint32(26).string(m.checkpoint);
                if (m.treeSize != null && Object.hasOwnProperty.call(m, "treeSize"))
                    w.uint32(32).uint64(m.treeSize);
                if (m.proof != null && m.proof.length) {
                    for (var i = 0; i < m.proof.length; ++i)
                        w.uint32(42).bytes(m.proof[i]);
                }
                return w;
            };

            /**
             * Decodes a LedgerReceipt message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.LedgerReceipt
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.LedgerReceipt} LedgerReceipt
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            LedgerReceipt.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.LedgerReceipt();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.entryIndex = r.uint64();
                            break;
                        }
                    case 2: {
                            m.entry = r.bytes();
                            break;
                        }
                    case 3: {
                            m.checkpoint = r.string();
                            break;
                        }
                    case 4: {
                            m.treeSize = r.uint64();
                            break;
                        }
                    case 5: {
                            if (!(m.proof && m.proof.length))
                                m.proof = [];
                            m.proof.push(r.bytes());
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for LedgerReceipt
             * @function getTypeUrl
             * @memberof silo.v1.LedgerReceipt
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            LedgerReceipt.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.LedgerReceipt";
            };

            return LedgerReceipt;
        })();

        v1.EvaluationReport = (function() {

            /**
             * Properties of an EvaluationReport.
             * @memberof silo.v1
             * @interface IEvaluationReport
             * @property {silo.v1.IFlattenedJws|null} [report] EvaluationReport report
             */

            /**
             * Constructs a new EvaluationReport.
             * @memberof silo.v1
             * @classdesc Represents an EvaluationReport.
             * @implements IEvaluationReport
             * @constructor
             * @param {silo.v1.IEvaluationReport=} [p] Properties to set
             */
            function EvaluationReport(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * EvaluationReport report.
             * @member {silo.v1.IFlattenedJws|null|undefined} report
             * @memberof silo.v1.EvaluationReport
             * @instance
             */
            EvaluationReport.prototype.report = null;

            /**
             * Creates a new EvaluationReport instance using the specified properties.
             * @function create
             * @memberof silo.v1.EvaluationReport
             * @static
             * @param {silo.v1.IEvaluationReport=} [properties] Properties to set
             * @returns {silo.v1.EvaluationReport} EvaluationReport instance
             */
            EvaluationReport.create = function create(properties) {
                return new EvaluationReport(properties);
            };

            /**
             * Encodes the specified EvaluationReport message. Does not implicitly {@link silo.v1.EvaluationReport.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.EvaluationReport
             * @static
             * @param {silo.v1.IEvaluationReport} m EvaluationReport message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            EvaluationReport.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.report != null && Object.hasOwnProperty.call(m, "report"))
                    $root.silo.v1.FlattenedJws.encode(m.report, w.uint32(10).fork(), q + 1).ldelim();
                return w;
            };

            /**
             * Decodes an EvaluationReport message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.EvaluationReport
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.EvaluationReport} EvaluationReport
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            EvaluationReport.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.EvaluationReport();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.report = $root.silo.v1.FlattenedJws.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for EvaluationReport
             * @function getTypeUrl
             * @memberof silo.v1.EvaluationReport
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            EvaluationReport.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.EvaluationReport";
            };

            return EvaluationReport;
        })();

        v1.Ack = (function() {

            /**
             * Properties of an Ack.
             * @memberof silo.v1
             * @interface IAck
             */

            /**
             * Constructs a new Ack.
             * @memberof silo.v1
             * @classdesc Represents an Ack.
             * @implements IAck
             * @constructor
             * @param {silo.v1.IAck=} [p] Properties to set
             */
            function Ack(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Creates a new Ack instance using the specified properties.
             * @function create
             * @memberof silo.v1.Ack
             * @static
             * @param {silo.v1.IAck=} [properties] Properties to set
             * @returns {silo.v1.Ack} Ack instance
             */
            Ack.create = function create(properties) {
                return new Ack(properties);
            };

            /**
             * Encodes the specified Ack message. Does not implicitly {@link silo.v1.Ack.verify|verify} messages.
             * @function encode
             * @memberof silo.v1.Ack
             * @static
             * @param {silo.v1.IAck} m Ack message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Ack.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                return w;
            };

            /**
             * Decodes an Ack message from the specified reader or buffer.
             * @function decode
             * @memberof silo.v1.Ack
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {silo.v1.Ack} Ack
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Ack.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.silo.v1.Ack();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Gets the default type url for Ack
             * @function getTypeUrl
             * @memberof silo.v1.Ack
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Ack.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/silo.v1.Ack";
            };

            return Ack;
        })();

        return v1;
    })();

    return silo;
})();

export { $root as default };
