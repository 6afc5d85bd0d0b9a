import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { QueueflowSampleStack } from './stack.ts';

const app = new App();
new QueueflowSampleStack(app, 'QueueflowSample');
// Every synth runs the AwsSolutions checks; the constructs acknowledge, with reasons, the
// findings their design accepts, so any new finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
