<?php
/**
 * WooCommerce -> Settings -> Order Monitor. WooCommerce renders it inside its own settings form
 * (nonce `woocommerce-settings`, `manage_woocommerce` checked by WooCommerce before save()).
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\Plugin;

final class SettingsPage extends \WC_Settings_Page {

	public function __construct( private readonly TabView $view ) {
		$this->id    = Plugin::TAB_ID;
		$this->label = __( 'Order Monitor', 'woom' );
		parent::__construct();
	}

	/** The connection fields, inside WooCommerce's form. */
	public function output() {
		$this->view->render_connection();
	}

	public function save() {
		$this->view->save_connection();
	}
}
