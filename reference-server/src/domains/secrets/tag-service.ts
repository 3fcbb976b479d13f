/**
 * Tag services: create, read, update and delete a project's tags. Rights are checked here; no HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import { StoreConflictError } from '../../store/contract.js';
import type { TagRecord } from '../../store/records.js';
import type { Caller } from './project-scope.js';

/** The Tag object (docs/reference/api.md#tags); by-id and by-slug reads add `name`. */
export function tagView(tag: TagRecord, withName = false) {
  return {
    id: tag.id,
    slug: tag.slug,
    color: tag.color,
    projectId: tag.projectId,
    createdBy: tag.createdBy,
    createdByActorType: tag.createdByActorType,
    createdAt: tag.createdAt,
    updatedAt: tag.updatedAt,
    ...(withName ? { name: tag.slug } : {}),
  };
}

const tagNotFound = (id: string) => notFound(`Tag with ID '${id}' not found`);

async function saveTag(write: () => Promise<void>) {
  try {
    await write();
  } catch (error) {
    if (error instanceof StoreConflictError) throw badRequest('Tag already exists');
    throw error;
  }
}

export async function createTag(ctx: ServerContext, caller: Caller, input: { slug: string; color: string }) {
  caller.access.assert('create', 'tags');
  const projectId = caller.access.project.id;
  if (await ctx.store.secrets.getTagBySlug(projectId, input.slug)) throw badRequest('Tag already exists');
  const now = new Date(ctx.now()).toISOString();
  const tag: TagRecord = {
    id: randomUUID(),
    projectId,
    slug: input.slug,
    color: input.color,
    createdBy: caller.auth.identity.id,
    createdByActorType: 'identity',
    createdAt: now,
    updatedAt: now,
  };
  await saveTag(() => ctx.store.secrets.insertTag(tag));
  await ctx.store.projects.touchContent(projectId);
  return tagView(tag);
}

export async function listTags(ctx: ServerContext, caller: Caller) {
  caller.access.assert('read', 'tags');
  return (await ctx.store.secrets.listTags(caller.access.project.id)).map((t) => tagView(t));
}

export async function getTag(ctx: ServerContext, caller: Caller, id: string) {
  caller.access.assert('read', 'tags');
  const tag = await ctx.store.secrets.getTag(caller.access.project.id, id);
  if (!tag) throw tagNotFound(id);
  return tagView(tag, true);
}

export async function getTagBySlug(ctx: ServerContext, caller: Caller, slug: string) {
  caller.access.assert('read', 'tags');
  const tag = await ctx.store.secrets.getTagBySlug(caller.access.project.id, slug);
  if (!tag) throw notFound(`Tag with slug '${slug}' not found`);
  return tagView(tag, true);
}

export async function updateTag(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  input: { slug: string; color: string },
) {
  caller.access.assert('edit', 'tags');
  const current = await ctx.store.secrets.getTag(caller.access.project.id, id);
  if (!current) throw tagNotFound(id);
  const clash = await ctx.store.secrets.getTagBySlug(current.projectId, input.slug);
  if (clash && clash.id !== id) throw badRequest('Tag already exists');
  const tag = { ...current, ...input, updatedAt: new Date(ctx.now()).toISOString() };
  await saveTag(() => ctx.store.secrets.updateTag(tag));
  await ctx.store.projects.touchContent(current.projectId);
  return tagView(tag);
}

export async function deleteTag(ctx: ServerContext, caller: Caller, id: string) {
  caller.access.assert('delete', 'tags');
  const tag = await ctx.store.secrets.getTag(caller.access.project.id, id);
  if (!tag) throw tagNotFound(id);
  await ctx.store.secrets.deleteTag(id);
  await ctx.store.projects.touchContent(tag.projectId);
  return tagView(tag);
}
