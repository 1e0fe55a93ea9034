// Runs the CDK Provider framework's own runtime (framework.js, cfn-response.js, outbound.js, util.js,
// consts.js as shipped in the installed aws-cdk-lib) with its three outbound calls answered by the Python
// test over stdin/stdout, one JSON object per line:
//
//   Python -> node  {"handler": "onEvent" | "isComplete" | "onTimeout", "event": {...}}
//   node -> Python  {"type": "invoke", "FunctionName": ..., "Payload": "<json>"}      (Lambda Invoke)
//   Python -> node  {"Payload": "<json>", "FunctionError": null | "Unhandled"}
//   node -> Python  {"type": "startExecution", "stateMachineArn": ..., "input": "<json>"}   (StartExecution)
//   Python -> node  {}
//   node -> Python  {"type": "response", "options": {...}, "body": "<json>"}    (the PUT to the ResponseURL)
//   Python -> node  {"statusCode": 200}
//   node -> Python  {"type": "done", "error": null | {"name": ..., "message": ...}}
//
// Only the network calls are replaced (outbound.js exports them for exactly this: the framework reads
// outbound_1.invokeFunction, startExecution and httpRequest at call time). The AWS SDK clients outbound.js
// requires are not installed here; they are never called, so empty stand-ins satisfy require().
"use strict";
const Module = require("module");
const path = require("path");
const readline = require("readline");

const runtime = process.argv[2];
const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "@aws-sdk/client-lambda" || request === "@aws-sdk/client-sfn") {
    return new Proxy({}, { get: () => () => { throw new Error(`${request} must not be called in tests`); } });
  }
  return originalLoad.apply(this, arguments);
};

// The framework logs to stdout (console.log); stdout is the protocol channel, so its log goes to stderr.
console.log = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");

process.env.USER_ON_EVENT_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:OnEvent";
process.env.USER_IS_COMPLETE_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:IsComplete";
process.env.WAITER_STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:waiter";

const outbound = require(path.join(runtime, "outbound.js"));
const framework = require(path.join(runtime, "framework.js"));

const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
const queued = [];
lines.on("line", (line) => {
  const message = JSON.parse(line);
  if (waiting.length) waiting.shift()(message);
  else queued.push(message);
});
lines.on("close", () => process.exit(0));
function next() {
  return new Promise((resolve) => (queued.length ? resolve(queued.shift()) : waiting.push(resolve)));
}
async function ask(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
  return next();
}

outbound.invokeFunction = async (req) => {
  const answer = await ask({ type: "invoke", FunctionName: req.FunctionName, Payload: req.Payload });
  const result = { StatusCode: 200, Payload: new TextEncoder().encode(answer.Payload) };
  if (answer.FunctionError) result.FunctionError = answer.FunctionError;
  return result;
};
outbound.startExecution = async (req) => {
  await ask({ type: "startExecution", stateMachineArn: req.stateMachineArn, input: req.input });
  return { executionArn: "arn:aws:states:us-east-1:123456789012:execution:waiter:1" };
};
outbound.httpRequest = async (options, body) => {
  const answer = await ask({ type: "response", options, body });
  if (answer.statusCode >= 400) throw new Error(`Unsuccessful HTTP response: ${answer.statusCode}`);
};

(async () => {
  for (;;) {
    const request = await next();
    let error = null;
    try {
      await framework[request.handler](request.event);
    } catch (e) {
      error = { name: e.constructor.name, message: e.message };
    }
    process.stdout.write(JSON.stringify({ type: "done", error }) + "\n");
  }
})();
